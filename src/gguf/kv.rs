//! How much memory a context of N tokens costs with a given model, and how much this machine has:
//! used to refuse a context that cannot fit *before* llama.cpp allocates it, and to pick a default
//! context size from the model instead of a fixed number.

use super::hparams::Hparams;

/// Bytes per element of the KV cache: llama.cpp's default cache type is f16.
const KV_ELEMENT_BYTES: u64 = 2;
/// The default context may use at most this share of the memory left after the weights.
const DEFAULT_SHARE: f64 = 0.25;
/// Context sizes are rounded to this (llama.cpp pads its KV cache to 256 cells).
const STEP: u32 = 256;
/// The smallest context howdah creates (llama.cpp itself raises smaller ones).
pub const MIN_CTX: u32 = 64;

/// Memory a context needs, per token and fixed, for one model and batch size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KvEstimate {
    /// KV cache bytes per context cell, summed over layers.
    pub kv_per_token: u64,
    /// Compute-buffer bytes that grow with the context (the attention mask of one micro-batch).
    pub compute_per_token: u64,
    /// Bytes independent of the context: the weights (mapped) and one micro-batch's activations.
    pub fixed: u64,
}

impl KvEstimate {
    /// Every layer keeps K and V for each of its KV heads. howdah asks for full-size sliding
    /// window caches (`swa_full`), so SWA layers cost as much as the others; latent-attention
    /// models (DeepSeek) cache the compressed rank plus the rope part once per layer.
    pub fn new(h: &Hparams, file_size: u64, n_batch: u32) -> KvEstimate {
        let per_layer: u64 = match h.kv_lora_rank {
            Some(rank) if rank > 0 => (rank + h.n_rot) * h.n_layer as u64,
            _ => h
                .n_head_kv
                .iter()
                .map(|kv| kv * (h.head_k + h.head_v))
                .sum(),
        };
        let ubatch = n_batch.max(1) as u64;
        KvEstimate {
            kv_per_token: per_layer * KV_ELEMENT_BYTES,
            compute_per_token: ubatch * 4,
            fixed: file_size + ubatch * (h.n_vocab + 8 * h.n_embd) * 4,
        }
    }

    /// Bytes the context of `n_ctx` tokens adds on top of the weights.
    pub fn context_bytes(&self, n_ctx: u64) -> u64 {
        n_ctx.saturating_mul(self.kv_per_token + self.compute_per_token)
    }

    /// Everything a loaded model with this context needs.
    pub fn total(&self, n_ctx: u64) -> u64 {
        self.fixed.saturating_add(self.context_bytes(n_ctx))
    }

    /// The largest context (a multiple of 256) whose total fits in `available` bytes.
    pub fn max_fitting(&self, available: u64) -> u32 {
        let per = (self.kv_per_token + self.compute_per_token).max(1);
        let n = available.saturating_sub(self.fixed) / per;
        let n = n.min(u32::MAX as u64) as u32;
        n / STEP * STEP
    }

    /// The default context: the trained context, capped so the context takes at most a quarter
    /// of the memory left after the weights. Returns the size and why it was chosen.
    pub fn default_ctx(&self, trained: u32, available: Option<u64>) -> (u32, String) {
        let trained = if trained == 0 { 4096 } else { trained };
        let Some(avail) = available else {
            return (trained, format!("the model's trained context ({trained})"));
        };
        let budget = (avail.saturating_sub(self.fixed) as f64 * DEFAULT_SHARE) as u64;
        let cap = self.max_fitting(budget.saturating_add(self.fixed));
        if cap >= trained {
            (
                trained,
                format!(
                    "the model's trained context ({trained}; {} of KV cache)",
                    crate::text::human_bytes(self.context_bytes(trained as u64))
                ),
            )
        } else {
            let n = cap.max(MIN_CTX.max(STEP)).min(trained);
            (
                n,
                format!(
                    "{n} of the model's trained {trained}: a quarter of the {} of memory available ({} of KV cache); -c sets it",
                    crate::text::human_bytes(avail),
                    crate::text::human_bytes(self.context_bytes(n as u64))
                ),
            )
        }
    }
}

/// Memory this process may still use: `HOWDAH_MEMORY_LIMIT` (bytes, or with K/M/G suffix) when
/// set, else the smaller of the kernel's MemAvailable and the cgroup's remaining limit. `None`
/// where neither can be read (then no memory check is made).
pub fn available_memory() -> Option<u64> {
    if let Some(v) = std::env::var("HOWDAH_MEMORY_LIMIT")
        .ok()
        .and_then(|s| parse_size(&s))
    {
        return Some(v);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let mem = meminfo.as_deref().and_then(mem_available);
    let cgroup = cgroup_left();
    match (mem, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// MemAvailable from /proc/meminfo text, in bytes.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// cgroup v2: memory.max minus memory.current, when a limit is set.
fn cgroup_left() -> Option<u64> {
    let max = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max" = no limit
    let cur: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(max.saturating_sub(cur))
}

/// "512M", "2G", "1000000": a size in bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::hparams::smollm2_fixture as smollm2;

    #[test]
    fn kv_bytes_follow_layers_heads_and_head_size() {
        let e = KvEstimate::new(&smollm2(), 100 << 20, 512);
        // 30 layers x 3 KV heads x (64 + 64) x 2 bytes.
        assert_eq!(e.kv_per_token, 23_040);
        // A million tokens: about 23 GB of KV, what the issue measured as RSS.
        assert!(e.context_bytes(1_000_000) > 22_000_000_000);
    }

    #[test]
    fn max_fitting_and_default_respect_the_budget() {
        let e = KvEstimate::new(&smollm2(), 100 << 20, 512);
        let fits = e.max_fitting(1 << 30);
        assert!(e.total(fits as u64) <= 1 << 30 && fits.is_multiple_of(256));
        assert!(e.total(fits as u64 + 256) > 1 << 30);
        let (n, why) = e.default_ctx(8192, Some(16 << 30));
        assert_eq!(n, 8192, "{why}");
        let (n, why) = e.default_ctx(8192, Some(400 << 20));
        assert!((256..8192).contains(&n), "{n} {why}");
        assert!(why.contains("trained 8192"), "{why}");
    }

    #[test]
    fn meminfo_and_sizes_parse() {
        let m = "MemTotal: 100 kB\nMemAvailable:    2048 kB\n";
        assert_eq!(mem_available(m), Some(2 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("x"), None);
    }
}
