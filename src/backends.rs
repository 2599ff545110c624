//! Which model server, if any, the user chose: the global `--backend`/`--api-key`/`--parallel`
//! choice remembered once, and the `[backends.NAME]` tables of config.toml, resolved to the
//! engine's `Backend`. The CLI and the TUI's model picker both resolve through here, so neither
//! imports the other.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::config::BackendConfig;
use crate::engine::remote::{Backend, Kind, Timeouts};
use crate::engine::{Engine, ModelInfo};

/// The global flags' choice, as given (the CLI's `BackendArgs` without clap).
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// A URL or a `[backends.NAME]`.
    pub backend: Option<String>,
    pub api_key: Option<String>,
    pub parallel: Option<usize>,
}

/// The flags as parsed, and `--config`: commands see only their own arguments, so `main`
/// records the global ones here once.
static GLOBAL: OnceLock<(Choice, Option<PathBuf>)> = OnceLock::new();

pub fn remember(args: &Choice, config: Option<PathBuf>) {
    let _ = GLOBAL.set((args.clone(), config));
}

/// The backend the global flags chose, if any.
pub fn selected() -> Result<Option<Backend>> {
    match GLOBAL.get() {
        Some((a, config)) => resolve(a, config.as_deref()),
        None => Ok(None),
    }
}

/// The backend `spec` (a `[backends.NAME]` or a URL) names, as the model picker switches to it:
/// the command line's own when it is that one (so its `--api-key` and `--parallel` hold).
pub fn by_spec(spec: &str) -> Result<Backend> {
    if let Some(b) = selected()? {
        if b.name.as_deref() == Some(spec) || crate::engine::remote::clean_url(&b.url) == spec {
            return Ok(b);
        }
    }
    let config = GLOBAL.get().and_then(|(_, c)| c.clone());
    let args = Choice {
        backend: Some(spec.to_string()),
        ..Choice::default()
    };
    resolve(&args, config.as_deref())?.ok_or_else(|| anyhow::anyhow!("no backend {spec:?}"))
}

/// Every `[backends.NAME]` of config.toml, in name order, or why one cannot be used.
pub fn configured() -> Vec<(String, Result<Backend>)> {
    let config = GLOBAL.get().and_then(|(_, c)| c.clone());
    let loaded = crate::config::load(config.as_deref());
    loaded
        .config
        .backends
        .iter()
        .map(|(name, c)| (name.clone(), from_config(name, c)))
        .collect()
}

/// `--backend` as a URL, or the named table of config.toml; `None` without the flag.
pub fn resolve(a: &Choice, config: Option<&Path>) -> Result<Option<Backend>> {
    if a.parallel == Some(0) {
        bail!("--parallel must be at least 1");
    }
    let Some(spec) = a.backend.as_deref().map(str::trim) else {
        if a.api_key.is_some() || a.parallel.is_some() {
            bail!("--api-key and --parallel apply to a model server: add --backend URL|NAME");
        }
        return Ok(None);
    };
    let mut b = if spec.contains("://") || spec.contains(':') {
        Backend::new(spec)
    } else {
        let loaded = crate::config::load(config);
        let Some(c) = loaded.config.backends.get(spec) else {
            let known: Vec<&str> = loaded.config.backends.keys().map(String::as_str).collect();
            bail!(
                "no backend named {spec:?} in {} ({}); give a URL such as http://127.0.0.1:8080, or add a [backends.{spec}] table with url = \"...\"",
                loaded.path.display(),
                if known.is_empty() {
                    "it defines none".to_string()
                } else {
                    format!("it defines {}", known.join(", "))
                }
            );
        };
        from_config(spec, c)?
    };
    if let Some(k) = &a.api_key {
        b.api_key = Some(k.clone());
    }
    if a.parallel.is_some() {
        b.parallel = a.parallel;
    }
    Ok(Some(b))
}

/// A `[backends.NAME]` table as a `Backend`, its key read from the named variable.
pub fn from_config(name: &str, c: &BackendConfig) -> Result<Backend> {
    if c.url.trim().is_empty() {
        bail!("[backends.{name}] needs url = \"http://host:port\"");
    }
    let kind = match &c.kind {
        Some(k) => {
            Some(Kind::parse(k).map_err(|e| anyhow::anyhow!("[backends.{name}] kind: {e}"))?)
        }
        None => None,
    };
    let api_key = match &c.api_key_env {
        Some(var) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Some(v),
            _ => bail!(
                "[backends.{name}] reads its API key from ${var}, which is not set: export it (or pass --api-key)"
            ),
        },
        None => None,
    };
    let d = Timeouts::default();
    Ok(Backend {
        name: Some(name.to_string()),
        url: c.url.clone(),
        kind,
        api_key,
        model: c.model.clone(),
        parallel: c.parallel.filter(|&n| n > 0),
        timeouts: Timeouts {
            connect: c
                .connect_timeout
                .map(Duration::from_secs)
                .unwrap_or(d.connect),
            read: c.read_timeout.map(Duration::from_secs).unwrap_or(d.read),
        },
    })
}

/// Connects to the server and selects `model` (or the backend's, or the server's default).
pub fn connect(b: Backend, model: Option<&str>) -> Result<(Engine, ModelInfo)> {
    let engine = Engine::spawn_remote(b)?;
    let info = engine.load(model.unwrap_or(""), Default::default())?;
    Ok((engine, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(backend: &str) -> Choice {
        Choice {
            backend: Some(backend.into()),
            ..Choice::default()
        }
    }

    #[test]
    fn urls_and_named_backends_resolve_and_unknown_names_list_the_known() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            "[backends.box]\nurl = \"http://box:8080\"\nkind = \"ollama\"\nmodel = \"m\"\nread_timeout = 7\n",
        )
        .unwrap();
        let b = resolve(&args("127.0.0.1:8080"), Some(&cfg))
            .unwrap()
            .unwrap();
        assert_eq!(b.url, "127.0.0.1:8080");
        assert_eq!(b.kind, None);
        let b = resolve(&args("box"), Some(&cfg)).unwrap().unwrap();
        assert_eq!(b.url, "http://box:8080");
        assert_eq!(b.kind, Some(Kind::Ollama));
        assert_eq!(b.model.as_deref(), Some("m"));
        assert_eq!(b.timeouts.read, Duration::from_secs(7));
        let e = resolve(&args("gpu"), Some(&cfg)).unwrap_err().to_string();
        assert!(e.contains("\"gpu\"") && e.contains("box"), "{e}");
        assert!(resolve(&Choice::default(), Some(&cfg)).unwrap().is_none());
    }

    #[test]
    fn a_missing_key_variable_is_named() {
        let c = BackendConfig {
            url: "http://a".into(),
            api_key_env: Some("HOWDAH_TEST_UNSET_KEY_VAR".into()),
            ..BackendConfig::default()
        };
        let e = from_config("a", &c).unwrap_err().to_string();
        assert!(e.contains("$HOWDAH_TEST_UNSET_KEY_VAR"), "{e}");
        let e = from_config("a", &BackendConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("[backends.a] needs url"), "{e}");
    }
}
