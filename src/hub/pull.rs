//! A whole pull: the revision's commit, the listing, the choice of files, a disk-space check,
//! each file fetched (or found already here) and linked into its snapshot, the ref recorded.
//! Shared by `howdah pull` and the TUI's model picker; progress goes to a callback.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::api::{Entry, Hub};
use super::cache::{free_space, is_commit, RepoCache};
use super::download::{fetch, Fetched};
use super::error::HubError;
use super::resolve::{self, Choice};
use super::spec::{check_file, Spec};

/// What a pull reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The files chosen, with their sizes and whether each is already here.
    Resolved {
        commit: String,
        files: Vec<(String, u64, bool)>,
    },
    /// `done` of `total` bytes across all files; `file` is the one being fetched.
    Progress { file: String, done: u64, total: u64 },
    /// A file is complete (its hash checked, or it was already here).
    FileDone { file: String, fetched: Fetched },
}

/// The result: where the model is (the first part of a split model) and what it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    pub repo: String,
    pub commit: String,
    /// The snapshot links, in part order.
    pub files: Vec<PathBuf>,
    pub size: u64,
    pub downloaded: u64,
    pub resumed_from: u64,
}

impl Pulled {
    pub fn model(&self) -> &Path {
        &self.files[0]
    }
}

/// A repository's GGUF models for `--list`.
#[derive(Debug, Clone)]
pub struct Listing {
    pub commit: String,
    /// Each model with whether all its files are here.
    pub models: Vec<(Choice, bool)>,
}

fn revision(spec: &Spec) -> &str {
    spec.revision.as_deref().unwrap_or("main")
}

/// The commit and its files.
fn resolve_repo(hub: &Hub, spec: &Spec) -> Result<(String, Vec<Entry>), HubError> {
    let commit = hub.commit(&spec.repo, revision(spec))?;
    let entries = hub.tree(&spec.repo, &commit)?;
    Ok((commit, entries))
}

pub fn list(hub: &Hub, hub_dir: &Path, spec: &Spec) -> Result<Listing, HubError> {
    let (commit, entries) = resolve_repo(hub, spec)?;
    let cache = RepoCache::new(hub_dir, &spec.repo);
    let models = resolve::models(&entries)
        .into_iter()
        .map(|c| {
            let here = c.parts.iter().all(|p| cache.has(p.blob_name(), p.size));
            (c, here)
        })
        .collect();
    Ok(Listing { commit, models })
}

/// Downloads what `spec` names into the cache under `hub_dir`.
pub fn pull(
    hub: &Hub,
    hub_dir: &Path,
    spec: &Spec,
    cancel: &AtomicBool,
    on: &mut dyn FnMut(Event),
) -> Result<Pulled, HubError> {
    let (commit, entries) = resolve_repo(hub, spec)?;
    let file = spec
        .file
        .as_deref()
        .map(check_file)
        .transpose()
        .map_err(HubError::BadInput)?;
    let choice = resolve::choose(&spec.repo, &entries, spec.quant.as_deref(), file.as_deref())?;
    let cache = RepoCache::new(hub_dir, &spec.repo);
    let files = choice
        .parts
        .iter()
        .map(|p| (p.path.clone(), p.size, cache.has(p.blob_name(), p.size)))
        .collect::<Vec<_>>();
    on(Event::Resolved {
        commit: commit.clone(),
        files: files.clone(),
    });
    check_space(&cache, &choice)?;
    let total = choice.size();
    let mut before = 0;
    let mut out = Pulled {
        repo: spec.repo.clone(),
        commit: commit.clone(),
        files: Vec::new(),
        size: total,
        downloaded: 0,
        resumed_from: 0,
    };
    for part in &choice.parts {
        let name = part.path.clone();
        let fetched = fetch(
            hub,
            &cache,
            &spec.repo,
            &commit,
            part,
            cancel,
            &mut |have| {
                on(Event::Progress {
                    file: name.clone(),
                    done: before + have,
                    total,
                })
            },
        )?;
        before += part.size;
        out.downloaded += fetched.downloaded;
        out.resumed_from += fetched.resumed_from;
        out.files
            .push(cache.link(&commit, &part.path, part.blob_name())?);
        on(Event::FileDone {
            file: part.path.clone(),
            fetched,
        });
    }
    let rev = revision(spec);
    if !is_commit(rev) && check_file(rev).is_ok() {
        cache.write_ref(rev, &commit)?;
    }
    Ok(out)
}

/// Refuses before downloading when the disk cannot hold what is still missing.
fn check_space(cache: &RepoCache, choice: &Choice) -> Result<(), HubError> {
    let need: u64 = choice
        .parts
        .iter()
        .filter(|p| !cache.has(p.blob_name(), p.size))
        .map(|p| p.size.saturating_sub(cache.partial_len(p.blob_name())))
        .sum();
    let dir = cache.root.join("blobs");
    match free_space(&dir) {
        Some(free) if free < need => Err(HubError::DiskFull { dir, need, free }),
        _ => Ok(()),
    }
}
