//! Pulled models by the name they were pulled with: `OWNER/NAME[:QUANT]` (or `hf.co/…`) is
//! looked up in the cache without the network, so `howdah -m OWNER/NAME:Q4_K_M` works offline.

use std::path::PathBuf;

use super::api::Entry;
use super::cache::{hub_dir, is_commit, RepoCache};
use super::resolve::choose;
use super::spec::parse;

/// The cached file `spec` would pull (the first part of a split model), if it is here whole.
pub fn find(spec: &str) -> Option<PathBuf> {
    let spec = parse(spec).ok()?;
    let cache = RepoCache::new(&hub_dir(), &spec.repo);
    let rev = spec.revision.as_deref().unwrap_or("main");
    let commit = if is_commit(rev) {
        rev.to_string()
    } else {
        cache.read_ref(rev)?
    };
    let entries: Vec<Entry> = cache
        .snapshot_files(&commit)
        .into_iter()
        .map(|(path, size)| Entry {
            path,
            size,
            sha256: None,
            git_oid: String::new(),
        })
        .collect();
    let choice = choose(
        &spec.repo,
        &entries,
        spec.quant.as_deref(),
        spec.file.as_deref(),
    )
    .ok()?;
    Some(cache.snapshot(&commit, &choice.first().path))
}
