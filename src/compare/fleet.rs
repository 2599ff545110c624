//! Several models in one comparison: how much memory each needs (its file plus the KV cache for
//! the context asked, read from the GGUF header) and whether they fit side by side or must be
//! loaded one after another. One `Engine` per model, so the engine itself is unchanged.

use std::path::{Path, PathBuf};

use crate::engine::{Engine, EngineError, EngineSettings, ModelInfo};
use crate::gguf::read_header;

/// Share of the available memory that side-by-side models may take: the rest is left for the
/// compute buffers, the app and everything else on the machine.
const HEADROOM: f64 = 0.8;
/// Context assumed when the user did not set one (the engine's default cap).
const DEFAULT_CTX: u64 = 4096;

/// How several models are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// All at once: every column runs on its own loaded model.
    SideBySide,
    /// One at a time, each unloaded before the next: the columns fill in turn.
    OneAfterAnother,
}

/// The memory plan for a set of models.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub loading: Loading,
    /// Estimated bytes of each model (file + KV cache), in order.
    pub needs: Vec<u64>,
    /// Memory available now, when the system says.
    pub available: Option<u64>,
}

impl Plan {
    /// One line for the screen: what was decided and why.
    pub fn describe(&self) -> String {
        let need: u64 = self.needs.iter().sum();
        let avail = self
            .available
            .map(|a| format!("{} available", gib(a)))
            .unwrap_or_else(|| "available memory unknown".into());
        match self.loading {
            Loading::SideBySide => format!(
                "{} models loaded side by side (about {} needed, {avail})",
                self.needs.len(),
                gib(need)
            ),
            Loading::OneAfterAnother => format!(
                "{} models loaded one after another: together they need about {}, {avail}",
                self.needs.len(),
                gib(need)
            ),
        }
    }
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

/// Bytes `path` needs loaded with `n_ctx` tokens of context: the file (weights are mapped in
/// whole) plus an f16 K and V cache for every layer. Unreadable headers count the file only.
pub fn estimate(path: &Path, n_ctx: Option<u32>) -> u64 {
    let file = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let Ok(h) = read_header(path) else {
        return file;
    };
    let arch = h.str("general.architecture").unwrap_or("llama").to_string();
    let int = |k: &str| h.int(&format!("{arch}.{k}")).map(|v| v.max(0) as u64);
    let (Some(layers), Some(embd)) = (int("block_count"), int("embedding_length")) else {
        return file;
    };
    let heads = int("attention.head_count").unwrap_or(1).max(1);
    let kv_heads = int("attention.head_count_kv").unwrap_or(heads);
    let k_dim = int("attention.key_length").unwrap_or(embd / heads);
    let v_dim = int("attention.value_length").unwrap_or(k_dim);
    let trained = int("context_length").unwrap_or(DEFAULT_CTX);
    let ctx = n_ctx.map_or(trained.min(DEFAULT_CTX), u64::from);
    file + 2 * layers * ctx * kv_heads * (k_dim + v_dim)
}

/// `MemAvailable` from /proc/meminfo (Linux); `None` elsewhere.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Side by side when the estimates fit in `HEADROOM` of the available memory (or when it is
/// unknown and there is one model).
pub fn plan(paths: &[PathBuf], n_ctx: Option<u32>, available: Option<u64>) -> Plan {
    let needs: Vec<u64> = paths.iter().map(|p| estimate(p, n_ctx)).collect();
    let total: u64 = needs.iter().sum();
    let fits = match available {
        Some(a) => total as f64 <= a as f64 * HEADROOM,
        None => paths.len() <= 1,
    };
    Plan {
        loading: if fits || paths.len() <= 1 {
            Loading::SideBySide
        } else {
            Loading::OneAfterAnother
        },
        needs,
        available,
    }
}

/// Starts an engine and loads `path` on it.
pub fn load(path: &Path, settings: EngineSettings) -> Result<(Engine, ModelInfo), EngineError> {
    let engine = Engine::spawn()?;
    let info = engine.load(path, settings)?;
    Ok((engine, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_go_side_by_side_only_when_they_fit() {
        let paths = vec![PathBuf::from("/nonexistent/a.gguf"); 2];
        // Unreadable files estimate at 0 bytes: they fit anywhere there is memory.
        assert_eq!(
            plan(&paths, None, Some(1 << 30)).loading,
            Loading::SideBySide
        );
        assert_eq!(
            plan(&paths, None, None).loading,
            Loading::OneAfterAnother,
            "unknown memory: be careful with two"
        );
        let p = Plan {
            loading: Loading::OneAfterAnother,
            needs: vec![3 << 30, 3 << 30],
            available: Some(4 << 30),
        };
        let d = p.describe();
        assert!(
            d.contains("one after another") && d.contains("6.00 GiB"),
            "{d}"
        );
    }
}
