//! `howdah arena`: one prompt, two anonymous replies (sides drawn at random, models and variants
//! hidden until the vote), a vote read from standard input and saved as a session; and
//! `--ratings`: Bradley–Terry ratings over every saved vote.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{EngineArgs, ModelArgs, SamplingArgs};
use super::compare::{parse_vars, template};
use crate::arena::{ratings, vote_session, votes_in, Contestant, Rating, Verdict};
use crate::cli::output::{eout, eoutln, out, outln};
use crate::compare::report::{table, Format};
use crate::compare::save::compare_session;
use crate::compare::{fleet, parse_shots, run_compare, variants_for};
use crate::engine::{ChatMessage, Engine, ModelInfo, Prompt, Role};
use crate::prompt::{Mode, Template};
use crate::session::format::resolved_settings;
use crate::session::record::model_ref;
use crate::session::{read_file, write_atomic, ReplyStats, Run, Session, Store};
use crate::text::sanitize;

#[derive(Debug, Clone, Args)]
pub struct ArenaArgs {
    /// The prompt both sides answer (the template's input with --template)
    #[arg(long = "input", short = 'i', value_name = "TEXT")]
    pub input: Option<String>,
    /// Two models, comma-separated (names `howdah models` lists, or paths)
    #[arg(long = "models", value_name = "A,B", value_delimiter = ',')]
    pub models: Vec<String>,
    /// Prompt through a template instead of sending the text as it is
    #[arg(long = "template", value_name = "NAME")]
    pub template: Option<String>,
    /// With --template: shot counts (two with one model, one with two models)
    #[arg(long = "shots", value_name = "LIST")]
    pub shots: Option<String>,
    /// Other template variables (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Vote without asking: a, b, tie or bad (otherwise read from standard input)
    #[arg(long = "vote", value_name = "VOTE")]
    pub vote: Option<Verdict>,
    /// Show the ratings over every saved vote instead of running a match
    #[arg(long = "ratings")]
    pub ratings: bool,
    /// Ratings output: table, json or md
    #[arg(long = "format", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

pub fn run(a: &ArenaArgs) -> Result<()> {
    if a.ratings {
        return show_ratings(a.format);
    }
    let Some(question) = a.input.clone().filter(|s| !s.trim().is_empty()) else {
        bail!("arena needs a prompt: pass --input TEXT (the vote is read from standard input)");
    };
    let t = a.template.as_deref().map(template).transpose()?;
    let models = model_specs(a)?;
    let shots = match (&t, &a.shots) {
        (Some(_), Some(s)) => parse_shots(s)?,
        (Some(t), None) => vec![t.shots.min(t.examples.len())],
        (None, Some(_)) => bail!("--shots needs --template"),
        (None, None) => vec![0],
    };
    if models.len() * shots.len() != 2 {
        bail!(
            "an arena match has two sides: give two models (--models A,B) or, with --template, one model and two shot counts (--shots 0,4); got {} model(s) × {} shot count(s)",
            models.len(),
            shots.len()
        );
    }
    let paths: Vec<PathBuf> = models
        .iter()
        .map(|m| {
            crate::model::discover::resolve(m, &a.model.models_dir).map_err(anyhow::Error::msg)
        })
        .collect::<Result<_>>()?;
    let mut sides = Vec::new();
    for path in &paths {
        let (engine, info) = fleet::load(path, a.engine.settings())
            .with_context(|| format!("cannot load {}", path.display()))?;
        for &k in &shots {
            sides.push(answer(a, &engine, &info, t.as_ref(), &question, k)?);
        }
    }
    // Random sides: the first contestant is on the left half of the time.
    if crate::arena::coin() {
        sides.swap(0, 1);
    }
    for (side, c) in ["A", "B"].iter().zip(&sides) {
        let text = c.run.output.as_deref().unwrap_or("").trim();
        outln!("── {side} ──\n{}\n", sanitize(text));
    }
    let verdict = match a.vote {
        Some(v) => Some(v),
        None => ask_vote()?,
    };
    let Some(verdict) = verdict else {
        eoutln!("howdah: no vote: nothing saved");
        return Ok(());
    };
    for (side, c) in ["A", "B"].iter().zip(&sides) {
        outln!("{side} was {}", sanitize(&c.name));
    }
    outln!("vote: {}", verdict.as_str());
    let mut it = sides.into_iter();
    let (Some(left), Some(right)) = (it.next(), it.next()) else {
        bail!("an arena match has two sides");
    };
    let session = vote_session(&question, left, right, verdict);
    match Store::user().create(session) {
        Ok(f) => eoutln!("howdah: vote saved to {}", f.path.display()),
        Err(e) => bail!("could not save the vote: {e}"),
    }
    Ok(())
}

/// The models of the match: `--models`, else `-m` (or the default model).
fn model_specs(a: &ArenaArgs) -> Result<Vec<String>> {
    let list: Vec<String> = a
        .models
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !list.is_empty() {
        if list.len() > 2 {
            bail!(
                "--models: an arena match has two sides, got {} models",
                list.len()
            );
        }
        return Ok(list);
    }
    Ok(vec![a.model.model.clone().unwrap_or_else(|| {
        crate::paths::DEFAULT_MODEL.to_string()
    })])
}

/// One side's reply: through the template when there is one, else the text as a chat turn (or
/// as raw text for a model without a chat template).
fn answer(
    a: &ArenaArgs,
    engine: &Engine,
    info: &ModelInfo,
    t: Option<&Template>,
    question: &str,
    shots: usize,
) -> Result<Contestant> {
    let mode = Mode::for_model(info);
    if let Some(t) = t {
        let mut vars = parse_vars(&a.vars)?;
        if let Some(first) = t.variable_names().first() {
            vars.insert(first.to_string(), question.to_string());
        }
        let sampling = a.sampling.apply(t.sampling_for(mode))?;
        let variants = variants_for(t, &[shots], None, 0, mode, &sampling)?;
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let r = run_compare(engine, t, &vars, &variants, None, &cancel, |_| {})?;
        let session = compare_session(&r, t, info, &a.engine.settings());
        let (Some(v), Some(run)) = (r.variants.first(), session.runs.into_iter().next()) else {
            bail!("the comparison returned no reply");
        };
        if let Some(e) = &v.error {
            bail!("{}: {e}", info.file_name);
        }
        return Ok(Contestant {
            name: format!("{} · {} {}", info.file_name, t.name, v.name),
            run,
        });
    }
    let sampling = a.sampling.apply(crate::engine::Sampling::default())?;
    let prompt = match mode {
        Mode::Chat => Prompt::Chat(vec![ChatMessage::new(Role::User, question)]),
        Mode::Completion => Prompt::Raw(question.to_string()),
    };
    let done = engine
        .generate_one(prompt.clone(), sampling.clone(), |_| {})
        .with_context(|| format!("{} could not answer", info.file_name))?;
    let mut run = Run::new(info.file_name.clone());
    run.model = Some(model_ref(info));
    run.engine = Some(resolved_settings(info, &a.engine.settings()));
    run.sampling = Some(sampling);
    run.prompt = Some(prompt);
    run.output = Some(done.text.clone());
    run.stats = Some(ReplyStats::from(&done));
    run.data = serde_json::json!({ "mode": crate::compare::save::prompt_mode(mode) });
    Ok(Contestant {
        name: info.file_name.clone(),
        run,
    })
}

/// Asks on stderr, reads lines from stdin until a valid vote; `None` on an empty line or EOF.
fn ask_vote() -> Result<Option<Verdict>> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        eout!("vote: a (A is better) · b (B is better) · t (tie) · x (both bad) · enter skips > ");
        let Some(line) = lines.next() else {
            return Ok(None);
        };
        let line = line.context("cannot read the vote from standard input")?;
        if line.trim().is_empty() {
            return Ok(None);
        }
        match line.parse::<Verdict>() {
            Ok(v) => return Ok(Some(v)),
            Err(e) => eoutln!("howdah: {}", sanitize(&e)),
        }
    }
}

fn show_ratings(format: Format) -> Result<()> {
    let sessions = all_sessions(&Store::user())?;
    let votes = votes_in(&sessions);
    let rs = ratings(&votes);
    out!("{}", render_ratings(&rs, votes.len(), format));
    if votes.is_empty() {
        eoutln!("howdah: no votes yet: run `howdah arena --input TEXT --models A,B`");
    }
    Ok(())
}

/// The ratings as a table, Markdown or JSON.
pub fn render_ratings(rs: &[Rating], votes: usize, format: Format) -> String {
    if format == Format::Json {
        let v = serde_json::json!({ "votes": votes, "method": "bradley-terry", "ratings": rs });
        return format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    let md = format == Format::Md;
    let head: Vec<String> = [
        "#",
        "contestant",
        "rating",
        "95 % CI",
        "votes",
        "won",
        "lost",
        "tied",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = rs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.name.clone(),
                format!("{:.0}", r.rating),
                format!("[{:.0}–{:.0}]", r.ci[0], r.ci[1]),
                r.votes.to_string(),
                r.wins.to_string(),
                r.losses.to_string(),
                r.ties.to_string(),
            ]
        })
        .collect();
    let title = format!("arena ratings · Bradley–Terry · {votes} votes");
    let title = if md { format!("## {title}\n") } else { title };
    format!("{title}\n{}", table(&head, &rows, md))
}

/// `howdah session export [SESSION] --preferences FILE.jsonl`: the pairs of one session, or of
/// every readable session.
pub fn export_preferences(store: &Store, session: Option<&str>, path: &Path) -> Result<()> {
    let sessions = match session {
        Some(spec) => vec![store.open(spec)?.session],
        None => all_sessions(store)?,
    };
    let (text, n) = crate::arena::preferences::to_jsonl(&sessions);
    write_atomic(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eoutln!(
        "howdah: {n} preference pair(s) from {} session(s) written to {}",
        sessions.len(),
        path.display()
    );
    Ok(())
}

/// Every readable session in `store` (unreadable files are skipped, as `session list` shows).
fn all_sessions(store: &Store) -> Result<Vec<Session>> {
    Ok(store
        .list()?
        .into_iter()
        .filter(|l| l.entry.is_ok())
        .filter_map(|l| read_file(&l.path).ok().map(|d| d.session))
        .collect())
}
