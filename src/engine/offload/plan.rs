//! How many layers go to the GPU. llama.cpp offloads the *last* N layers (and, once every
//! repeating layer is there, the output layer), each with its share of the KV cache, plus one
//! compute buffer per device. `-ngl auto` takes the largest N whose weights, KV cache and compute
//! buffer fit the device's free memory, estimated from the GGUF's tensor sizes. A load uses
//! llama.cpp's own fitting instead (`fit`) and this estimate only when that fails or a budget is
//! forced; `howdah models` uses it as is (the fit needs a dry load). Either is checked by a real
//! load (a failed load retries with fewer layers, see `worker`).

use crate::gguf::hparams::Hparams;
use crate::gguf::GgufHeader;
use crate::text::human_bytes;

use super::{Device, GpuLayers, Offload};

/// f16 KV cache (llama.cpp's default type).
const KV_ELEMENT_BYTES: u64 = 2;
/// Left free on a real device for the driver and other programs: 1/16 of its free memory, at
/// most 512 MiB (llama.cpp's own fitting keeps 1 GiB by default; small cards need less).
const MARGIN_MAX: u64 = 512 << 20;

/// Bytes each part of a model puts on the device.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSizes {
    /// Weights of each repeating layer (`blk.N.*`).
    pub layer_weights: Vec<u64>,
    /// KV cache bytes per context token of each layer.
    pub layer_kv_per_token: Vec<u64>,
    /// The output layer: `output.weight` (or the tied token embedding) and the final norm.
    pub output: u64,
    pub n_vocab: u64,
    pub n_embd: u64,
}

impl LayerSizes {
    pub fn new(header: &GgufHeader, h: &Hparams) -> LayerSizes {
        let n = h.n_layer as usize;
        let mut layer_weights = vec![0u64; n];
        let mut output = 0u64;
        let mut embd = 0u64;
        let mut has_output = false;
        for t in &header.tensors {
            if let Some(rest) = t.name.strip_prefix("blk.") {
                if let Some(i) = rest.split('.').next().and_then(|i| i.parse::<usize>().ok()) {
                    if let Some(w) = layer_weights.get_mut(i) {
                        *w = w.saturating_add(t.bytes);
                    }
                }
            } else if t.name.starts_with("output.") || t.name.starts_with("output_norm.") {
                has_output |= t.name == "output.weight";
                output = output.saturating_add(t.bytes);
            } else if t.name == "token_embd.weight" {
                embd = t.bytes;
            }
        }
        if !has_output {
            // Tied embeddings: llama.cpp puts a copy of the token embedding on the device to
            // compute the logits.
            output = output.saturating_add(embd);
        }
        let per_layer_kv = |i: usize| match h.kv_lora_rank {
            Some(rank) if rank > 0 => (rank + h.n_rot) * KV_ELEMENT_BYTES,
            _ => {
                h.n_head_kv.get(i).copied().unwrap_or(0) * (h.head_k + h.head_v) * KV_ELEMENT_BYTES
            }
        };
        LayerSizes {
            layer_kv_per_token: (0..n).map(per_layer_kv).collect(),
            layer_weights,
            output,
            n_vocab: h.n_vocab,
            n_embd: h.n_embd,
        }
    }

    /// The model's layers as llama.cpp counts them for `-ngl`: the repeating ones + output.
    pub fn total(&self) -> u32 {
        self.layer_weights.len() as u32 + 1
    }

    /// Device bytes with the last `k` layers offloaded and a context of `n_ctx` tokens.
    pub fn need(&self, k: u32, n_ctx: u32, n_batch: u32) -> u64 {
        if k == 0 {
            return 0;
        }
        let n = self.layer_weights.len();
        let k = (k as usize).min(n + 1);
        let first = n - k.min(n);
        let layers: u64 = (first..n)
            .map(|i| {
                self.layer_weights[i]
                    .saturating_add(self.layer_kv_per_token[i].saturating_mul(n_ctx as u64))
            })
            .sum();
        let output = if k > n { self.output } else { 0 };
        // One micro-batch's activations and logits, and its attention scores (as `KvEstimate`).
        let ubatch = n_batch.max(1) as u64;
        let compute = ubatch * (self.n_vocab + 8 * self.n_embd) * 4 + ubatch * n_ctx as u64 * 4;
        layers + output + compute
    }
}

/// How `-ngl auto` chose its layer count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// By llama.cpp's own fitting (`fit`).
    Fitted,
    /// By howdah's estimate from the GGUF's tensor sizes (`plan`).
    Estimated,
}

impl Placement {
    /// The record's words (`placement` in JSON).
    pub fn words(self) -> &'static str {
        match self {
            Placement::Fitted => "fitted by llama.cpp",
            Placement::Estimated => "estimated",
        }
    }
}

/// What a load will ask llama.cpp for, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct OffloadPlan {
    pub layers: u32,
    pub total: u32,
    /// The device the layers go to (`None`: the CPU).
    pub device: Option<Device>,
    /// Said to the user when the plan is not simply "everything on the GPU" or "CPU build".
    pub note: Option<String>,
    /// How `-ngl auto` chose the count on a GPU (`None`: a count was given, or no GPU).
    pub placement: Option<Placement>,
}

impl OffloadPlan {
    /// The record of where the model runs, once loaded with this plan.
    pub fn record(&self, cpu: impl FnOnce() -> String) -> Offload {
        match (&self.device, self.layers) {
            (Some(d), n) if n > 0 => Offload {
                backend: d.backend.clone(),
                device: d.label(),
                layers_offloaded: n,
                layers_total: self.total,
                note: self.note.clone(),
                placement: self.placement.map(|p| p.words().to_string()),
            },
            _ => Offload {
                backend: "CPU".into(),
                device: cpu(),
                layers_offloaded: 0,
                layers_total: self.total,
                note: self.note.clone(),
                placement: self.placement.map(|p| p.words().to_string()),
            },
        }
    }

    /// The next, smaller try after a load with `self.layers` failed on the device: half the
    /// layers (then none). `None` when already on the CPU.
    pub fn fewer(&self, why: &str) -> Option<OffloadPlan> {
        if self.layers == 0 {
            return None;
        }
        let layers = self.layers / 2;
        let device = self.device.as_ref().map(Device::label).unwrap_or_default();
        let now = if layers == 0 {
            "running on the CPU instead".to_string()
        } else {
            format!("using {layers} (the rest on the CPU)")
        };
        Some(OffloadPlan {
            layers,
            total: self.total,
            device: self.device.clone(),
            note: Some(format!(
                "{} layers did not fit on {device} ({why}): {now}",
                self.layers
            )),
            placement: self.placement,
        })
    }
}

/// The plan for `asked` on `devices` (the first one is used; empty = a CPU build or no usable
/// GPU), with `budget` forcing the usable memory (`HOWDAH_GPU_MEMORY`).
pub fn plan(
    sizes: &LayerSizes,
    asked: GpuLayers,
    n_ctx: u32,
    n_batch: u32,
    devices: &[Device],
    budget: Option<u64>,
) -> OffloadPlan {
    let total = sizes.total();
    let cpu = |note: Option<String>| OffloadPlan {
        layers: 0,
        total,
        device: None,
        note,
        placement: None,
    };
    let Some(dev) = devices.first() else {
        return match (asked, super::built_backend()) {
            (GpuLayers::Count(n), None) if n > 0 => cpu(Some(format!(
                "-ngl {n} asks for GPU layers but this build is for the CPU only: running on the CPU (make build GPU=cuda|metal|vulkan builds for a GPU)"
            ))),
            (_, Some(b)) if asked != GpuLayers::CPU => cpu(Some(format!(
                "this {b} build found no {b} device: running on the CPU"
            ))),
            _ => cpu(None),
        };
    };
    let on = |layers: u32, note: Option<String>| OffloadPlan {
        layers,
        total,
        device: Some(dev.clone()),
        note,
        placement: None,
    };
    let estimated = |p: OffloadPlan| OffloadPlan {
        placement: Some(Placement::Estimated),
        ..p
    };
    match asked {
        GpuLayers::Count(0) => cpu(None),
        // As llama.cpp: an explicit count is obeyed (capped to the model); a failed load retries.
        GpuLayers::Count(n) => on(n.min(total), None),
        GpuLayers::Auto => {
            let (free, source) = match budget {
                Some(b) => (b, "HOWDAH_GPU_MEMORY"),
                None => (
                    dev.free.saturating_sub((dev.free / 16).min(MARGIN_MAX)),
                    "free",
                ),
            };
            let fits = (0..=total)
                .rev()
                .find(|&k| sizes.need(k, n_ctx, n_batch) <= free)
                .unwrap_or(0);
            let room = format!(
                "{} of {} memory ({source}) with a {n_ctx}-token context",
                human_bytes(free),
                dev.label()
            );
            estimated(if fits == total {
                on(total, None)
            } else if fits == 0 {
                cpu(Some(format!(
                    "no layer fits in {room} (one needs {}): running on the CPU; a smaller context (-c) leaves room",
                    human_bytes(sizes.need(1, n_ctx, n_batch))
                )))
            } else {
                on(
                    fits,
                    Some(format!(
                        "{fits} of {total} layers fit in {room}: the other {} run on the CPU",
                        total - fits
                    )),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> LayerSizes {
        LayerSizes {
            layer_weights: vec![1000; 4],
            layer_kv_per_token: vec![10; 4],
            output: 5000,
            n_vocab: 10,
            n_embd: 2,
        }
    }

    fn dev(free: u64) -> Device {
        Device {
            index: 1,
            backend: "Vulkan".into(),
            name: "Vulkan0".into(),
            description: "Test GPU".into(),
            free,
            total: free,
        }
    }

    #[test]
    fn last_layers_first_then_the_output_layer() {
        let s = sizes();
        assert_eq!(s.total(), 5);
        let compute = (10 + 16) * 4 + 100 * 4;
        assert_eq!(s.need(0, 100, 1), 0);
        assert_eq!(s.need(1, 100, 1), 1000 + 1000 + compute);
        assert_eq!(s.need(4, 100, 1), 4 * 2000 + compute);
        assert_eq!(s.need(5, 100, 1), 4 * 2000 + 5000 + compute);
        assert_eq!(s.need(99, 100, 1), s.need(5, 100, 1));
    }

    #[test]
    fn auto_takes_what_fits_and_says_so() {
        let s = sizes();
        let all = s.need(5, 100, 1);
        let p = plan(&s, GpuLayers::Auto, 100, 1, &[dev(0)], Some(all));
        assert_eq!((p.layers, p.note.as_deref()), (5, None));
        assert_eq!(p.placement, Some(Placement::Estimated));
        let p = plan(&s, GpuLayers::Auto, 100, 1, &[dev(0)], Some(all - 1));
        assert_eq!(p.layers, 4);
        assert!(p.note.unwrap().contains("4 of 5 layers fit"));
        let p = plan(&s, GpuLayers::Auto, 100, 1, &[dev(0)], Some(1000));
        assert_eq!((p.layers, p.device), (0, None));
        assert!(p.note.unwrap().contains("running on the CPU"));
    }

    #[test]
    fn counts_are_obeyed_and_capped() {
        let s = sizes();
        let p = plan(&s, GpuLayers::Count(99), 100, 1, &[dev(10)], None);
        assert_eq!((p.layers, p.placement), (5, None));
        // A CPU build (no device) says nothing of placement, whatever was asked.
        assert_eq!(plan(&s, GpuLayers::Auto, 100, 1, &[], None).placement, None);
        assert_eq!(plan(&s, GpuLayers::CPU, 100, 1, &[dev(10)], None).layers, 0);
        let fewer = p.fewer("out of memory").unwrap();
        assert_eq!(fewer.layers, 2);
        assert!(fewer
            .note
            .as_ref()
            .unwrap()
            .contains("5 layers did not fit on Vulkan0 Test GPU"));
        let rec = fewer.record(|| "cpu".into());
        assert_eq!(rec.label(), "gpu 2/5 layers · Vulkan0 Test GPU");
    }
}
