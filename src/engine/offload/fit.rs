//! `-ngl auto` by llama.cpp's own fitting (`common_fit_params`, bound by llama-cpp-2 as
//! `LlamaModelParams::fit_params`): it measures the model, KV cache and compute buffers with a
//! dry load (no allocation) and takes the most layers that leave its margin free on the device.
//! howdah's estimate from the GGUF's tensor sizes (`plan`) stays the fallback when it fails.

use std::ffi::CString;
use std::pin::pin;
use std::sync::Mutex;

use llama_cpp_2::model::params::LlamaModelParams;

use super::{Device, OffloadPlan, Placement};

/// Free memory llama.cpp's fitting leaves on each device: its own default (`--fit-target`,
/// `common_params::fit_params_target`, 1 GiB), for the driver, other programs and the buffers
/// it cannot measure.
pub const FIT_MARGIN: u64 = 1 << 30;

/// `fit_params` swaps llama.cpp's global logger while it runs, so two engines (compare, arena)
/// must not fit at the same time.
static FIT_LOCK: Mutex<()> = Mutex::new(());

/// The layers llama.cpp's fitting put on the one device it was given: `n_gpu_layers` as it left
/// it (its default -1 = "all", kept when everything fits unchanged) less the layers it made
/// partial (a mixture-of-experts layer whose expert tensors it sends to the CPU by tensor
/// overrides). howdah loads by layer count alone, so a partial layer is left on the CPU whole:
/// a little less on the GPU than the fit found, never more.
pub fn fitted_layers(n_gpu_layers: i32, partial: usize, total: u32) -> Result<u32, String> {
    let n = match n_gpu_layers {
        -1 => total,
        n if n < 0 => return Err(format!("it chose {n} GPU layers")),
        n => (n as u32).min(total),
    };
    Ok(n.saturating_sub(u32::try_from(partial).unwrap_or(u32::MAX)))
}

/// The plan from the fit's answer on `dev` for a context of `n_ctx` tokens, or, when it failed,
/// the `estimate` with a note saying so.
pub fn fitted_plan(
    fitted: Result<u32, String>,
    estimate: OffloadPlan,
    dev: &Device,
    n_ctx: u32,
) -> OffloadPlan {
    let total = estimate.total;
    let layers = match fitted {
        Ok(n) => n.min(total),
        Err(why) => {
            let said = format!(
                "llama.cpp could not fit the model to {} ({why}): layers estimated from its tensor sizes",
                dev.label()
            );
            let note = match estimate.note {
                Some(n) => format!("{said}; {n}"),
                None => said,
            };
            return OffloadPlan {
                note: Some(note),
                placement: Some(Placement::Estimated),
                ..estimate
            };
        }
    };
    let room = format!(
        "{} with a {n_ctx}-token context (fitted by llama.cpp, leaving {} free)",
        dev.label(),
        crate::text::human_bytes(FIT_MARGIN)
    );
    let note = if layers == total {
        None
    } else if layers == 0 {
        Some(format!(
            "no layer fits on {room}: running on the CPU; a smaller context (-c) leaves room"
        ))
    } else {
        Some(format!(
            "{layers} of {total} layers fit on {room}: the other {} run on the CPU",
            total - layers
        ))
    };
    OffloadPlan {
        layers,
        total,
        device: (layers > 0).then(|| dev.clone()),
        note,
        placement: Some(Placement::Fitted),
    }
}

/// Asks llama.cpp how many of the model's `total` layers fit on `dev` (alone) with howdah's own
/// context of `n_ctx` tokens and batch `n_batch` (a non-zero context, so the fit never changes
/// it). Only called from the engine worker's load path, after howdah has checked the file.
pub fn llama_fit(
    path: &std::path::Path,
    dev: &Device,
    n_ctx: u32,
    n_batch: u32,
    total: u32,
) -> Result<u32, String> {
    if n_ctx == 0 || n_batch == 0 {
        return Err(format!("context {n_ctx} / batch {n_batch} is not a size"));
    }
    let c_path = path
        .to_str()
        .and_then(|s| CString::new(s).ok())
        .ok_or_else(|| "its path is not UTF-8 text without NUL bytes".to_string())?;
    // The planned device only, as the load will use (llama.cpp would otherwise split the
    // layers over every GPU it sees).
    let params = LlamaModelParams::default()
        .with_devices(&[dev.index])
        .map_err(|e| e.to_string())?;
    let mut params = pin!(params);
    let mut cparams = crate::engine::load::context_params_for(n_ctx, n_batch, 1, true);
    let margin = usize::try_from(FIT_MARGIN).unwrap_or(usize::MAX);
    let mut margins = vec![margin; llama_cpp_2::max_devices().max(1)];
    let _only_one = FIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let fit = params
        .as_mut()
        .fit_params(
            &c_path,
            &mut cparams,
            &mut margins,
            n_ctx,
            llama_cpp_sys_2::GGML_LOG_LEVEL_WARN,
        )
        .map_err(|e| e.to_string())?;
    if fit.n_ctx != n_ctx {
        return Err(format!("it changed the context to {} tokens", fit.n_ctx));
    }
    fitted_layers(
        params.n_gpu_layers(),
        params.tensor_buft_override_patterns().len(),
        total,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device {
            index: 1,
            backend: "Vulkan".into(),
            name: "Vulkan0".into(),
            description: "Test GPU".into(),
            free: 8 << 30,
            total: 8 << 30,
        }
    }

    fn estimate(layers: u32, note: Option<&str>) -> OffloadPlan {
        OffloadPlan {
            layers,
            total: 31,
            device: Some(dev()),
            note: note.map(str::to_string),
            placement: Some(Placement::Estimated),
        }
    }

    #[test]
    fn the_fits_layer_count_is_read_as_llama_cpp_means_it() {
        assert_eq!(fitted_layers(-1, 0, 31), Ok(31));
        assert_eq!(fitted_layers(20, 0, 31), Ok(20));
        assert_eq!(fitted_layers(99, 0, 31), Ok(31));
        // Two partial (expert-split) layers stay on the CPU whole.
        assert_eq!(fitted_layers(20, 2, 31), Ok(18));
        assert_eq!(fitted_layers(1, 5, 31), Ok(0));
        assert!(fitted_layers(-2, 0, 31).unwrap_err().contains("-2"));
    }

    #[test]
    fn a_fit_is_said_as_fitted_and_a_failed_one_falls_back_to_the_estimate() {
        let all = fitted_plan(Ok(31), estimate(5, None), &dev(), 512);
        assert_eq!((all.layers, all.note.as_deref()), (31, None));
        assert_eq!(all.placement, Some(Placement::Fitted));
        let rec = all.record(|| "cpu".into());
        assert_eq!(rec.placement.as_deref(), Some("fitted by llama.cpp"));
        assert_eq!(rec.label(), "gpu 31/31 layers · Vulkan0 Test GPU");

        let some = fitted_plan(Ok(12), estimate(5, None), &dev(), 512);
        let note = some.note.clone().unwrap();
        assert!(
            note.starts_with("12 of 31 layers fit on Vulkan0 Test GPU with a 512-token context (fitted by llama.cpp")
                && note.ends_with("the other 19 run on the CPU"),
            "{note}"
        );
        let none = fitted_plan(Ok(0), estimate(5, None), &dev(), 512);
        assert_eq!((none.layers, none.device.clone()), (0, None));
        assert_eq!(none.record(|| "cpu".into()).backend, "CPU");
        assert!(none.note.unwrap().contains("running on the CPU"));

        let failed = fitted_plan(
            Err("could not find allocations".into()),
            estimate(7, Some("7 of 31 layers fit")),
            &dev(),
            512,
        );
        assert_eq!(failed.layers, 7);
        assert_eq!(failed.placement, Some(Placement::Estimated));
        assert_eq!(
            failed.note.as_deref(),
            Some("llama.cpp could not fit the model to Vulkan0 Test GPU (could not find allocations): layers estimated from its tensor sizes; 7 of 31 layers fit")
        );
        assert_eq!(
            failed.record(|| "cpu".into()).placement.as_deref(),
            Some("estimated")
        );
    }
}
