//! GPU offload: which devices this build sees, how many of a model's layers to put on them
//! (`-ngl auto`: every layer that fits the free memory with its KV cache), and the record of
//! where a loaded model runs (status bar, `models --json`, bench, sessions).

mod fit;
mod layers;
mod plan;

pub use fit::{fitted_layers, fitted_plan, FIT_MARGIN};
pub use layers::GpuLayers;
pub use plan::{plan, LayerSizes, OffloadPlan, Placement};

use serde::{Deserialize, Serialize};

use crate::text::sanitize::sanitize_line;

/// Where a model's layers run: what the status bar, `models --json`, bench and sessions show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offload {
    /// ggml's backend name: "CPU", "Vulkan", "CUDA", "Metal".
    pub backend: String,
    /// The device: `Vulkan0 NVIDIA GeForce RTX 4090`, or the CPU's name.
    pub device: String,
    pub layers_offloaded: u32,
    /// The model's layers plus its output layer, counted as llama.cpp counts them.
    pub layers_total: u32,
    /// Why not every layer is on the GPU, when that was not asked for (budget, failed load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How `-ngl auto` chose the layers on a GPU build: "fitted by llama.cpp" or "estimated"
    /// (from the GGUF's tensor sizes); absent for a given count and on a CPU build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
}

impl Offload {
    /// `gpu 31/31 layers · Vulkan0 llvmpipe` or `cpu` (the status bar's words).
    pub fn label(&self) -> String {
        if self.layers_offloaded == 0 {
            "cpu".to_string()
        } else {
            format!(
                "gpu {}/{} layers · {}",
                self.layers_offloaded, self.layers_total, self.device
            )
        }
    }

    /// The record's fields as JSON keys (`backend`, `device`, `layers_offloaded`, …), added
    /// to an object (`howdah models --json`, bench JSON).
    pub fn add_to(&self, obj: &mut serde_json::Value) {
        if let (Some(map), Ok(serde_json::Value::Object(me))) =
            (obj.as_object_mut(), serde_json::to_value(self))
        {
            map.extend(me);
        }
    }

    /// Whether two records ran on different kinds of device (CPU vs GPU, or another GPU):
    /// their floating-point results may then differ in the last bits.
    pub fn differs_from(&self, other: &Offload) -> bool {
        let on_gpu = |o: &Offload| o.layers_offloaded > 0;
        on_gpu(self) != on_gpu(other)
            || (on_gpu(self) && (self.backend != other.backend || self.device != other.device))
            || self.layers_offloaded != other.layers_offloaded
    }
}

/// One device ggml offers for offload.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// ggml's device index (for `LlamaModelParams::with_devices`).
    pub index: usize,
    pub backend: String,
    /// `Vulkan0`, `CUDA0`, `MTL0`.
    pub name: String,
    /// The hardware: `NVIDIA H100 80GB HBM3`, `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub description: String,
    pub free: u64,
    pub total: u64,
}

impl Device {
    /// `Vulkan0 llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.description)
    }
}

/// The GPUs (discrete or integrated) the linked llama.cpp can use; empty in a CPU build.
pub fn gpu_devices() -> Vec<Device> {
    use llama_cpp_2::LlamaBackendDeviceType as T;
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .filter(|d| matches!(d.device_type, T::Gpu | T::IntegratedGpu))
        .map(|d| Device {
            index: d.index,
            backend: sanitize_line(&d.backend),
            name: sanitize_line(&d.name),
            description: sanitize_line(&d.description),
            free: d.memory_free as u64,
            total: d.memory_total as u64,
        })
        .collect()
}

/// The CPU as ggml names it (its model name), for records of models that run there.
pub fn cpu_label() -> String {
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .find(|d| d.device_type == llama_cpp_2::LlamaBackendDeviceType::Cpu)
        .map(|d| sanitize_line(&d.description))
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| "CPU".to_string())
}

/// The GPU backend this build was compiled with (`None`: the CPU only).
pub fn built_backend() -> Option<&'static str> {
    if cfg!(feature = "cuda") {
        Some("CUDA")
    } else if cfg!(feature = "metal") {
        Some("Metal")
    } else if cfg!(feature = "vulkan") {
        Some("Vulkan")
    } else {
        None
    }
}

/// GPU memory howdah may use, forced by `HOWDAH_GPU_MEMORY` (bytes, or with K/M/G): to plan
/// for a smaller card, to leave room for other programs, and for tests of the fallback.
pub fn forced_budget() -> Option<u64> {
    std::env::var("HOWDAH_GPU_MEMORY")
        .ok()
        .and_then(|s| crate::gguf::kv::parse_size(&s))
}

/// The plan for loading the model at `path` with `asked` settings and the `checked` context.
pub(crate) fn plan_for(
    path: &std::path::Path,
    hparams: &crate::gguf::hparams::Hparams,
    asked: &super::EngineSettings,
    checked: &super::EngineSettings,
) -> Result<OffloadPlan, super::EngineError> {
    let header =
        crate::gguf::read_header(path).map_err(|reason| super::EngineError::ModelFile {
            path: path.to_path_buf(),
            reason,
        })?;
    let sizes = LayerSizes::new(&header, hparams);
    // Only looked for when asked: enumerating devices starts the GPU driver.
    let devices = if asked.gpu_layers == GpuLayers::CPU {
        Vec::new()
    } else {
        gpu_devices()
    };
    let n_ctx = checked.n_ctx.unwrap_or(crate::gguf::kv::MIN_CTX);
    let budget = forced_budget();
    let estimate = plan(
        &sizes,
        asked.gpu_layers,
        n_ctx,
        checked.n_batch,
        &devices,
        budget,
    );
    // llama.cpp's fitting for `-ngl auto` on a GPU (a CPU build has no device and never calls
    // it). A forced budget (HOWDAH_GPU_MEMORY) keeps the estimate: it is a size in bytes that
    // may be larger than this device's free memory (planning for another card), which the fit,
    // measuring only the real free memory less a margin, cannot be told.
    match (asked.gpu_layers, devices.first(), budget) {
        (GpuLayers::Auto, Some(dev), None) => {
            let fitted = fit::llama_fit(path, dev, n_ctx, checked.n_batch, sizes.total());
            if let Err(why) = &fitted {
                tracing::warn!(%why, "llama.cpp's fitting failed: using the estimate");
            }
            Ok(fitted_plan(fitted, estimate, dev, n_ctx))
        }
        _ => Ok(estimate),
    }
}

/// Where `howdah models` says a model would run with `-ngl auto` and its default context,
/// without loading it (`None` when its header cannot say).
pub fn planned(path: &std::path::Path, devices: &[Device]) -> Option<Offload> {
    let settings = super::EngineSettings::default();
    let limits = crate::engine::settings::ModelLimits::of(path, settings.n_batch).ok()?;
    let (n_ctx, _) = limits
        .estimate
        .default_ctx(limits.trained, limits.available);
    let header = crate::gguf::read_header(path).ok()?;
    let hparams = crate::gguf::hparams::check(&header).ok()?;
    let sizes = LayerSizes::new(&header, &hparams);
    let p = plan(
        &sizes,
        settings.gpu_layers,
        n_ctx,
        settings.n_batch,
        devices,
        forced_budget(),
    );
    Some(p.record(cpu_label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(backend: &str, device: &str, n: u32) -> Offload {
        Offload {
            backend: backend.into(),
            device: device.into(),
            layers_offloaded: n,
            layers_total: 31,
            note: None,
            placement: None,
        }
    }

    #[test]
    fn labels_and_json_fields() {
        let g = rec("CUDA", "CUDA0 NVIDIA H100", 31);
        assert_eq!(g.label(), "gpu 31/31 layers · CUDA0 NVIDIA H100");
        assert_eq!(rec("CPU", "Xeon", 0).label(), "cpu");
        let mut v = serde_json::json!({ "name": "m" });
        g.add_to(&mut v);
        assert_eq!(v["backend"], "CUDA");
        assert_eq!(v["device"], "CUDA0 NVIDIA H100");
        assert_eq!(
            (v["layers_offloaded"].as_u64(), v["layers_total"].as_u64()),
            (Some(31), Some(31))
        );
        assert!(v.get("note").is_none());
    }

    #[test]
    fn a_cpu_record_on_another_cpu_is_the_same_kind_of_device() {
        let cpu = rec("CPU", "Xeon", 0);
        assert!(!cpu.differs_from(&rec("CPU", "EPYC", 0)));
        assert!(cpu.differs_from(&rec("Vulkan", "Vulkan0 llvmpipe", 31)));
        let g = rec("CUDA", "CUDA0 A", 31);
        assert!(g.differs_from(&rec("CUDA", "CUDA0 B", 31)));
        assert!(g.differs_from(&rec("CUDA", "CUDA0 A", 20)));
        assert!(!g.differs_from(&g.clone()));
    }
}
