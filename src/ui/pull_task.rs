//! Pulling a model from Hugging Face while the chat goes on: the picker's request becomes a
//! `PullCtl` effect, the download runs on its own thread (`hub::pull`, the same code as
//! `howdah pull`) and reports back as `PullEvent` actions, at most ~10 progress events a second.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What `update` asks of the download thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullCtl {
    /// Download `spec` (`OWNER/NAME[:QUANT]`, already checked by `hub::spec::parse`).
    Start { spec: String },
    /// Stop the running download; its partial file stays for the next try.
    Cancel,
}

/// What the download thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PullEvent {
    Progress {
        file: String,
        done: u64,
        total: u64,
    },
    /// The model's path, or why it failed (already phrased for the user).
    Done(Result<PathBuf, String>),
}

/// The download the UI shows: in the picker while it runs, and its last outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullState {
    /// What is being pulled, while it runs.
    pub running: Option<String>,
    pub file: String,
    pub done: u64,
    pub total: u64,
    /// The last pull's error, shown on the picker's pull row.
    pub error: Option<String>,
    /// A model just pulled: the picker selects it when it lists the models again.
    pub select: Option<PathBuf>,
}

impl PullState {
    /// 0.0–1.0.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// Runs `ctl`: starts a download thread (keeping its cancel flag in `slot`) or stops it.
pub fn control(
    slot: &mut Option<Arc<AtomicBool>>,
    ctl: PullCtl,
    send: impl Fn(PullEvent) + Send + 'static,
) {
    match ctl {
        PullCtl::Cancel => {
            if let Some(c) = slot.take() {
                c.store(true, Ordering::Relaxed);
            }
        }
        PullCtl::Start { spec } => {
            let cancel = Arc::new(AtomicBool::new(false));
            if let Some(old) = slot.replace(cancel.clone()) {
                old.store(true, Ordering::Relaxed);
            }
            // A plain thread, not the runtime's blocking pool: quitting must not wait for it
            // (the partial file stays and resumes next time).
            std::thread::spawn(move || send(PullEvent::Done(run(&spec, &cancel, &send))));
        }
    }
}

fn run(spec: &str, cancel: &AtomicBool, send: &impl Fn(PullEvent)) -> Result<PathBuf, String> {
    let spec = crate::hub::spec::parse(spec)?;
    let hub = crate::hub::Hub::from_env();
    let mut last: Option<Instant> = None;
    let pulled = crate::hub::pull(
        &hub,
        &crate::hub::cache::hub_dir(),
        &spec,
        cancel,
        &mut |ev| {
            if let crate::hub::Event::Progress { file, done, total } = ev {
                if last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) || done == total {
                    last = Some(Instant::now());
                    send(PullEvent::Progress { file, done, total });
                }
            }
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(pulled.model().to_path_buf())
}
