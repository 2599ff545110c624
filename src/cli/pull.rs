//! `howdah pull`: a GGUF model from the Hugging Face hub into the shared cache, with a progress
//! bar (plain lines when stderr is not a terminal); ctrl+c keeps a resumable partial file.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::output::{eoutln, outln};
use crate::hub::{self, cache, Event, Hub, HubError};
use crate::text::human_bytes;
use crate::text::sanitize::sanitize_line;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// OWNER/NAME[:QUANT], hf.co/OWNER/NAME[:QUANT] or a https://huggingface.co/…/blob/main/FILE.gguf link
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// Download exactly this file of the repository
    #[arg(long, value_name = "NAME")]
    pub file: Option<String>,
    /// Branch, tag or commit to download from (default: main)
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// List the repository's GGUF files (quant, size, whether already here) and download nothing
    #[arg(long)]
    pub list: bool,
}

pub fn run(a: &PullArgs) -> Result<()> {
    let mut spec = hub::spec::parse(&a.model).map_err(anyhow::Error::msg)?;
    if let Some(f) = &a.file {
        spec.file = Some(f.clone());
    }
    if let Some(r) = &a.revision {
        spec.revision = Some(hub::spec::check_revision(r).map_err(anyhow::Error::msg)?);
    }
    let hub = Hub::from_env();
    let dir = cache::hub_dir();
    if a.list {
        return list(&hub, &dir, &spec);
    }
    let cancel = Arc::new(AtomicBool::new(false));
    watch_ctrl_c(cancel.clone());
    let mut report = Reporter::new(&spec.repo);
    let started = Instant::now();
    let result = hub::pull(&hub, &dir, &spec, &cancel, &mut |ev| report.event(ev));
    report.close();
    match result {
        Ok(p) => {
            let secs = started.elapsed().as_secs_f64();
            if p.downloaded == 0 {
                eoutln!("already here: nothing to download");
            } else {
                eoutln!(
                    "downloaded {} in {:.1} s ({}/s){}; SHA-256 checked",
                    human_bytes(p.downloaded),
                    secs,
                    human_bytes((p.downloaded as f64 / secs.max(1e-3)) as u64),
                    if p.resumed_from > 0 {
                        format!(", resumed after {}", human_bytes(p.resumed_from))
                    } else {
                        String::new()
                    }
                );
            }
            eoutln!("run it with: howdah -m {}", p.model().display());
            outln!("{}", p.model().display());
            Ok(())
        }
        Err(e @ HubError::Network { .. }) => {
            // Offline, a model pulled before is still usable: say so and hand it over.
            let cached = (a.file.is_none() && a.revision.is_none())
                .then(|| hub::local::find(&a.model))
                .flatten();
            let Some(p) = cached else {
                return Err(e.into());
            };
            eoutln!("howdah: {}", crate::text::sanitize(&e.to_string()));
            eoutln!("using the copy already here: {}", p.display());
            outln!("{}", p.display());
            Ok(())
        }
        Err(e @ HubError::Interrupted { .. }) => {
            eoutln!("howdah: {}", crate::text::sanitize(&e.to_string()));
            std::process::exit(130);
        }
        Err(e) => Err(e.into()),
    }
}

fn list(hub: &Hub, dir: &std::path::Path, spec: &hub::Spec) -> Result<()> {
    let l = hub::list(hub, dir, spec)?;
    outln!(
        "{} at {} ({})",
        spec.repo,
        &l.commit[..12],
        spec.revision.as_deref().unwrap_or("main")
    );
    if l.models.is_empty() {
        return Err(HubError::NoGguf {
            repo: spec.repo.clone(),
        }
        .into());
    }
    outln!("{:<10} {:>9}  {:<4}  FILE", "QUANT", "SIZE", "HERE");
    for (c, here) in &l.models {
        let more = match c.parts.len() {
            1 => String::new(),
            n => format!(" (+{} parts)", n - 1),
        };
        outln!(
            "{:<10} {:>9}  {:<4}  {}{more}",
            sanitize_line(&c.quant()),
            human_bytes(c.size()),
            if *here { "yes" } else { "" },
            sanitize_line(&c.first().path)
        );
    }
    let entries: Vec<_> = l.models.iter().flat_map(|(c, _)| c.parts.clone()).collect();
    if let Ok(c) = hub::resolve::choose(&spec.repo, &entries, None, None) {
        outln!(
            "without a tag, `howdah pull {}` takes {}",
            spec.repo,
            sanitize_line(&c.quant())
        );
    }
    Ok(())
}

/// The first ctrl+c asks the download to stop at the next chunk; if the network is stalled it
/// cannot, so after a grace period the process ends anyway (the partial file is on disk).
fn watch_ctrl_c(cancel: Arc<AtomicBool>) {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]) else {
        return;
    };
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            cancel.store(true, Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(3));
            eoutln!("\nhowdah: interrupted; run the same command again to resume the download");
            std::process::exit(130);
        }
    });
}

/// The progress display: an indicatif bar on a terminal, else a line every 10%.
struct Reporter {
    repo: String,
    bar: Option<ProgressBar>,
    tty: bool,
    next_tenth: u64,
    file: String,
    label: String,
    started: Instant,
    first: Option<u64>,
}

impl Reporter {
    fn new(repo: &str) -> Reporter {
        Reporter {
            repo: repo.to_string(),
            bar: None,
            tty: std::io::stderr().is_terminal(),
            next_tenth: 1,
            file: String::new(),
            label: String::new(),
            started: Instant::now(),
            first: None,
        }
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::Resolved { commit, files } => {
                let total: u64 = files.iter().map(|f| f.1).sum();
                eoutln!(
                    "pulling {} at {}: {}",
                    self.repo,
                    &commit[..12.min(commit.len())],
                    human_bytes(total)
                );
                for (f, size, here) in &files {
                    let note = if *here { ", already here" } else { "" };
                    eoutln!("  {} ({}{note})", sanitize_line(f), human_bytes(*size));
                }
                if self.tty && files.iter().any(|f| !f.2) {
                    let bar =
                        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg:.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    self.bar = Some(bar);
                }
            }
            Event::Progress { file, done, total } => {
                if file != self.file {
                    self.label = sanitize_line(file.rsplit('/').next().unwrap_or(&file));
                    self.file = file;
                    if let Some(b) = &self.bar {
                        b.set_message(self.label.clone());
                    }
                }
                let first = *self.first.get_or_insert(done);
                if let Some(b) = &self.bar {
                    b.set_position(done);
                    if done == first {
                        // Resumed bytes are not speed: the rate and ETA count from here.
                        b.reset_eta();
                    }
                } else if !self.tty && total > 0 && done * 10 >= self.next_tenth * total {
                    let secs = self.started.elapsed().as_secs_f64().max(1e-3);
                    let rate = (done - first) as f64 / secs;
                    eoutln!(
                        "  {}: {}% ({} of {}, {}/s)",
                        self.label,
                        done * 100 / total,
                        human_bytes(done),
                        human_bytes(total),
                        human_bytes(rate as u64)
                    );
                    self.next_tenth = done * 10 / total + 1;
                }
            }
            Event::FileDone { .. } => {}
        }
    }

    fn close(&mut self) {
        if let Some(b) = self.bar.take() {
            b.abandon();
        }
    }
}
