//! The model picker across engines: the current engine's models, the model files, and the
//! models of every `[backends.NAME]` in config.toml, each marked with its backend; picking one
//! of another engine switches to it (`Effect::SwitchEngine`).

use std::path::PathBuf;

use crate::engine::remote::Backend;
use crate::engine::ModelInfo;
use crate::model::discover::{self, Found};

/// Which engine serves a model: `None` for the in-process one, else the backend's config name
/// (or its URL when it was given as one) — what `Effect::SwitchEngine` takes.
pub fn served_by(info: &ModelInfo) -> Option<String> {
    info.backend
        .as_ref()
        .map(|b| b.name.clone().unwrap_or_else(|| b.url.clone()))
}

/// The picker's list. `current`: the backend the picker switched to (`Some(None)`: the
/// in-process engine), or `None` while the one the app `started` on holds. Servers are asked at
/// once, so one that is down costs one connect timeout, not one per server.
pub fn discover(
    current: Option<Option<String>>,
    started: Option<Backend>,
    extra: &[PathBuf],
) -> Vec<Found> {
    let current: Option<Backend> = match current {
        None => started,
        Some(None) => None,
        Some(Some(spec)) => crate::backends::by_spec(&spec).ok(),
    };
    let others: Vec<(String, Result<Backend, String>)> = crate::backends::configured()
        .into_iter()
        .filter(|(name, _)| current.as_ref().and_then(|c| c.name.as_deref()) != Some(name))
        .map(|(name, b)| (name, b.map_err(|e| format!("{e:#}"))))
        .collect();
    std::thread::scope(|s| {
        let first = s.spawn(|| match &current {
            Some(b) => {
                let mut found = discover::on_server(b);
                found.extend(discover::discover(extra));
                found
            }
            None => discover::discover(extra),
        });
        let rest: Vec<_> = others
            .iter()
            .map(|(name, b)| s.spawn(move || of_backend(name, b)))
            .collect();
        let mut found = first.join().unwrap_or_default();
        for h in rest {
            found.extend(h.join().unwrap_or_default());
        }
        found
    })
}

/// One configured backend's models, named "model · backend" so that two servers' models with
/// the same id tell apart; a backend that cannot be used is one entry saying why.
fn of_backend(name: &str, b: &Result<Backend, String>) -> Vec<Found> {
    match b {
        Ok(b) => discover::on_server(b)
            .into_iter()
            .map(|mut f| {
                match &mut f.info {
                    Ok(i) => i.name = format!("{} · {name}", i.name),
                    Err(e) => *e = format!("[backends.{name}]: {e}"),
                }
                f
            })
            .collect(),
        Err(e) => vec![Found {
            path: PathBuf::from(name),
            info: Err(e.clone()),
        }],
    }
}
