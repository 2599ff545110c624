//! `howdah replay SESSION`: runs a saved chat's user turns again and compares each reply with the
//! recorded one; with `--check` it is a prompt regression test (exit 0 = all identical).

use crate::cli::output::{eoutln, outln};

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::args::{model_path, ModelArgs, SamplingArgs};
use super::interrupt::{Interrupt, Interrupted};
use crate::engine::remote::Backend;
use crate::engine::{Engine, Sampling};
use crate::session::diff::SpanKind;
use crate::session::replay::{
    plan, Outcome, ReplayError, ReplayOptions, ReplayReport, Replayer, SamplingFrom, TurnReplay,
};
use crate::session::Store;
use crate::text::sanitize::sanitize_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingSource {
    /// Each reply's recorded settings, seed included (sampling flags given change just those)
    Recorded,
    /// The settings given on this command line (defaults where not given)
    Current,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The session: an id from `howdah session list`, or a path to a session file
    pub session: String,
    /// Replay on this model instead of the recorded one
    #[command(flatten)]
    pub model: ModelArgs,
    /// Threads (default: as recorded)
    #[arg(short = 't', long = "threads")]
    pub threads: Option<u32>,
    /// Context size (default: as recorded)
    #[arg(short = 'c', long = "ctx-size")]
    pub ctx_size: Option<u32>,
    /// GPU layers: auto, 0 (the CPU) or a count (default: as recorded); -ngl works too
    #[arg(long = "gpu-layers", alias = "n-gpu-layers", value_name = "N|auto")]
    pub gpu_layers: Option<crate::engine::GpuLayers>,
    #[arg(long = "sampling-from", value_enum, default_value_t = SamplingSource::Recorded)]
    pub sampling_from: SamplingSource,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Exit 0 when every reply is identical to the recorded one, 1 otherwise
    #[arg(long)]
    pub check: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(a: &ReplayArgs) -> Result<()> {
    // First ctrl+c/SIGTERM (even while the model loads): the turn in progress is dropped and
    // the turns done are reported; a second one exits at once.
    let interrupt = Interrupt::install();
    let file = Store::user().open(&a.session)?;
    let session = &file.session;
    let sampling = match a.sampling_from {
        SamplingSource::Current => SamplingFrom::Current(a.sampling.apply(Sampling::default())?),
        // Replies imported without a record are replayed greedily.
        SamplingSource::Recorded => SamplingFrom::Recorded {
            fallback: Sampling::greedy(),
        },
    };
    let remote = remote_backend(session)?;
    let opts = ReplayOptions {
        model: match &a.model.model {
            Some(m) if remote.is_some() => Some(m.into()),
            Some(_) => Some(model_path(&a.model)?),
            None => None,
        },
        sampling,
        threads: a.threads,
        n_ctx: a.ctx_size,
    };
    let mut warnings = Vec::new();
    let mut plans = plan(session, &opts, &mut warnings).map_err(|e| match e {
        // The engine-neutral message, with this command's way to name another model.
        ReplayError::Model { .. } if opts.model.is_none() => {
            anyhow::anyhow!("{e}: pass -m MODEL")
        }
        e => e.into(),
    })?;
    if a.sampling_from == SamplingSource::Recorded {
        // Flags given with recorded settings change just those knobs (`--seed 2`).
        for p in &mut plans {
            p.sampling = a.sampling.apply(p.sampling.clone())?;
        }
    }
    if let Some(g) = a.gpu_layers {
        for p in &mut plans {
            p.engine.gpu_layers = g;
        }
    }
    for w in &warnings {
        eoutln!("howdah: {}", sanitize_line(w));
    }
    if plans.is_empty() {
        bail!(
            "{}: no user turn with a recorded reply to replay",
            file.path.display()
        );
    }
    let engine = match remote {
        Some(b) => Engine::spawn_remote(b)?,
        None => Engine::spawn()?,
    };
    let mut replayer = Replayer::new(&engine);
    let mut turns = Vec::new();
    for p in &plans {
        let t = interrupt.while_running(&engine, || replayer.run_turn(p, |_| {}));
        if interrupt.fired() {
            break;
        }
        let t = t?;
        if a.format == Format::Text {
            print_turn(&t, a.check);
        }
        turns.push(t);
    }
    let report = ReplayReport {
        session: session.id.clone(),
        turns,
        warnings,
    };
    let (same, all) = (report.identical(), report.turns.len());
    match a.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => outln!("{same} of {all} replies identical"),
    }
    if interrupt.fired() {
        return Err(Interrupted(format!("{all} of {} turns replayed", plans.len())).into());
    }
    if a.check && same != all {
        let other_device = report
            .turns
            .iter()
            .filter(|t| t.device_note.is_some())
            .count();
        bail!(
            "replay check failed: {} of {all} replies differ from the recording{}",
            all - same,
            if other_device > 0 {
                format!(" ({other_device} of them recorded on another device, whose numerics differ: see the notes; --gpu-layers picks the placement)")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// The server to replay on: `--backend`, else the one the session's replies were recorded
/// from (its URL and kind; a key comes from --api-key).
fn remote_backend(session: &crate::session::Session) -> Result<Option<Backend>> {
    if let Some(b) = super::backend::selected()? {
        return Ok(Some(b));
    }
    let recorded = session
        .messages
        .iter()
        .filter_map(|m| m.reply.as_deref())
        .find_map(|r| r.model.backend.clone());
    Ok(recorded.map(|r| {
        let mut b = Backend::new(r.url);
        b.kind = Some(r.kind);
        b
    }))
}

fn print_turn(t: &TurnReplay, brief: bool) {
    let user = t.user.lines().next().unwrap_or_default();
    match &t.outcome {
        Outcome::Identical => outln!(
            "turn {}: identical ({} tokens, {})  {}",
            t.turn,
            t.stats.generated_tokens,
            t.model,
            sanitize_line(user)
        ),
        Outcome::Differs { token, word, .. } => outln!(
            "turn {}: differs at token {token} (word {word}) ({})  {}",
            t.turn,
            t.model,
            sanitize_line(user)
        ),
    }
    if let Some(n) = &t.device_note {
        outln!("  note: {}", sanitize_line(n));
    }
    if t.outcome == Outcome::Identical && brief {
        return;
    }
    // git's word-diff notation: [-recorded only-]{+replayed only+}.
    let mut line = String::from("  ");
    for s in &t.diff {
        match s.kind {
            SpanKind::Equal => line.push_str(&s.text),
            SpanKind::Removed => line.push_str(&format!("[-{}-]", s.text)),
            SpanKind::Added => line.push_str(&format!("{{+{}+}}", s.text)),
        }
    }
    outln!("{}", line.replace('\n', "\n  "));
}
