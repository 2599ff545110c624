//! The compare view's arena mode: two variants answer the same input as anonymous columns A and
//! B (sides drawn at random each run, titles, label bars and prompts hidden), the user votes with
//! a / b / t (tie) / x (both bad) once both are done, and the vote is saved as a session with
//! both replies and their settings (`arena::vote_session`). The sides are revealed after it.

use super::state::{Column, CompareState};
use crate::arena::{vote_session, Contestant, Verdict};
use crate::compare::save::prompt_mode;
use crate::session::{ModelRef, ReplyStats, Run, SessionFile};
use crate::ui::app::{App, Level};
use crate::ui::effect::Effect;
use crate::ui::sessions::state::SessionOp;

/// The arena toggle: on needs exactly two variants (the first two columns are kept out of the
/// way otherwise, so the user chooses).
pub fn toggle(st: &mut CompareState) -> Result<&'static str, String> {
    if st.running() {
        return Err("stop the run (esc) before switching the arena on or off".into());
    }
    if st.arena_mode {
        st.arena_mode = false;
        st.arena = None;
        return Ok("arena off: the columns show their variants again");
    }
    if st.columns.len() != 2 {
        return Err(format!(
            "the arena pits two variants against each other: this comparison has {} (ctrl+a adds, ctrl+d removes)",
            st.columns.len()
        ));
    }
    st.arena_mode = true;
    st.arena = None;
    Ok("arena on: run an input, read A and B, then vote a · b · t (tie) · x (both bad)")
}

/// Whether the view waits for a vote: a round whose two columns are done and not yet voted on.
pub fn awaiting_vote(st: &CompareState) -> bool {
    st.arena.as_ref().is_some_and(|r| r.hidden())
        && !st.running()
        && st.columns.len() == 2
        && st
            .columns
            .iter()
            .all(|c| c.stats.is_some() || c.reply.failure().is_some())
}

/// A key typed while a vote is awaited: a, b, t or x votes (and saves); anything else is left
/// to the view. Returns whether the key was a vote.
pub fn vote_key(app: &mut App, c: char, fx: &mut Vec<Effect>) -> bool {
    let verdict = match c.to_ascii_lowercase() {
        'a' => Verdict::A,
        'b' => Verdict::B,
        't' => Verdict::Tie,
        'x' => Verdict::BothBad,
        _ => return false,
    };
    let Some(st) = app.compare.as_ref() else {
        return false;
    };
    if !awaiting_vote(st) || !st.input_empty() {
        return false;
    }
    let Some(round) = st.arena.clone() else {
        return false;
    };
    let model = app.sessions.model_ref.clone().or_else(|| {
        app.model
            .as_ref()
            .map(|info| ModelRef::from_info(info, None))
    });
    let template = st
        .template
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let question = st.shown_input.clone().unwrap_or_default();
    let side = |i: usize| contestant(&st.columns[round.order[i]], model.as_ref(), &template);
    let (a, b) = (side(0), side(1));
    let reveal = format!("A was {}; B was {} · vote saved", a.name, b.name);
    let session = vote_session(&question, a, b, verdict);
    let path = app.sessions.store.path_of(&session.id);
    fx.push(Effect::Session(SessionOp::Save(Box::new(
        SessionFile::new(path, session),
    ))));
    if let Some(r) = app.compare.as_mut().and_then(|s| s.arena.as_mut()) {
        r.verdict = Some(verdict);
    }
    app.notify(Level::Info, crate::text::sanitize::sanitize_line(&reveal));
    true
}

/// A column as a contestant: named by model, template and variant (what ratings group by).
fn contestant(c: &Column, model: Option<&ModelRef>, template: &str) -> Contestant {
    let file = model.map(|m| m.file_name.clone()).unwrap_or_default();
    let mut run = Run::new(c.spec.name());
    run.model = model.cloned();
    run.sampling = Some(c.spec.sampling.clone());
    run.output = Some(c.reply.text.clone());
    run.stats = c.stats.as_ref().map(ReplyStats::from);
    run.data = serde_json::json!({
        "mode": prompt_mode(c.spec.mode),
        "shots": c.spec.shots,
        "selection": c.spec.selection,
        "preset": c.preset,
        "prompt_text": c.prompt,
        "error": c.reply.failure(),
    });
    Contestant {
        name: format!("{file} · {template} {}", c.spec.name()),
        run,
    }
}
