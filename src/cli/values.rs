//! Command-line values spelled the llama.cpp way (`-n -1`, `--seed -1`) and the engine flags
//! checked against the model and this machine before anything is loaded.

use std::path::Path;

use anyhow::{bail, Result};

use crate::engine::settings::{Checked, ModelLimits, Settings, Source};
use crate::engine::EngineSettings;

/// `--seed`: -1 (or llama.cpp's 4294967295) picks a random seed, which is said so the run can
/// be repeated (sessions record it).
pub fn seed(v: i64) -> Result<u32> {
    if v == -1 || v == u32::MAX as i64 {
        // std's RandomState is seeded from the OS: enough for a sampling seed.
        use std::hash::BuildHasher;
        let h = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        let s = (h % u32::MAX as u64) as u32;
        crate::cli::output::eoutln!(
            "howdah: --seed {v}: using the random seed {s} (--seed {s} repeats this run)"
        );
        return Ok(s);
    }
    match u32::try_from(v) {
        Ok(s) => Ok(s),
        Err(_) => bail!("--seed {v}: use -1 (random) or 0 to {}", u32::MAX - 1),
    }
}

/// `-n`: -1 (and llama.cpp's -2, "until the context is full") mean no limit of our own.
pub fn max_tokens(v: i64) -> Result<u32> {
    match v {
        -1 | -2 => Ok(u32::MAX),
        0 => bail!("-n 0: at least 1 token, or -1 for no limit (until the model stops or the context is full)"),
        v if v > 0 => Ok(u32::try_from(v).unwrap_or(u32::MAX)),
        v => bail!("-n {v}: use a positive number of tokens, or -1 for no limit"),
    }
}

/// Validates the engine flags for the model at `path` (its header included) before an engine
/// starts: the error names the flag; clamped values are said on stderr.
pub fn check_engine(path: &Path, settings: &EngineSettings) -> Result<Checked> {
    let limits = ModelLimits::of(path, settings.n_batch).map_err(anyhow::Error::msg)?;
    let checked = Settings {
        engine: settings,
        sampling: None,
    }
    .validate(&Source::Flags, Some(&limits))?;
    for note in &checked.notes {
        crate::cli::output::eoutln!("howdah: {note}");
    }
    Ok(checked)
}

/// [`check_engine`] when the model is known, else the checks that need no model.
pub fn check_flags(model: Option<&std::path::PathBuf>, settings: &EngineSettings) -> Result<()> {
    match model {
        Some(path) if crate::engine::inspect(path).is_ok() => {
            check_engine(path, settings)?;
        }
        // A model that cannot be read is reported by the loader, where the UI says it.
        _ => {
            let checked = Settings {
                engine: settings,
                sampling: None,
            }
            .validate(&Source::Flags, None)?;
            for note in &checked.notes {
                crate::cli::output::eoutln!("howdah: {note}");
            }
        }
    }
    Ok(())
}
