//! Keys and worker messages of the compare view: running the variants on an input (typed in the
//! app's text area), the input history, stopping, adding and removing variants, starting an
//! evaluation and saving its predictions. Every key goes through the keymap (`[keys.compare]`);
//! the dialogs' keys are in `modal`, opening the view in `open`, what a finished run is saved
//! as in `record`.

use crossterm::event::{KeyCode, KeyEvent};

use super::common::leave_for;
use super::job::CompareMsg;
use super::state::{Column, CompareModal, CompareState, PathFor};
use crate::compare::MAX_VARIANTS;
use crate::prompt::Task;
use crate::ui::app::{App, Ask, Level, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::text_input::new_input;

/// A worker message: applied to the view; a run or evaluation that ended is saved as a session.
pub fn msg(app: &mut App, m: CompareMsg, fx: &mut Vec<Effect>) {
    if let CompareMsg::Note { run, text } = &m {
        if app.compare.as_ref().is_some_and(|s| s.run == *run) {
            app.notify(Level::Info, crate::text::sanitize::sanitize_line(text));
        }
        return;
    }
    let eval = matches!(m, CompareMsg::EvalDone { .. });
    let ended = app.compare.as_mut().is_some_and(|st| st.on_msg(m));
    if ended {
        super::record::save(app, eval, fx);
    }
}

/// The variant editor's model field needs the models on disk: look once, in the background.
fn discover_models(app: &App, fx: &mut Vec<Effect>) {
    if app.compare.as_ref().is_some_and(|s| s.models.is_empty()) {
        fx.push(Effect::DiscoverModels {
            extra: app.models_dirs.clone(),
        });
    }
}

/// Pasted text goes into the input, on one line.
pub fn paste(app: &mut App, text: &str) {
    if let Some(st) = app.compare.as_mut() {
        st.input.insert_str(text.replace('\n', " "));
        st.history_pos = None;
    }
}

pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    let Some(st) = app.compare.as_ref() else {
        app.screen = Screen::Chat;
        return;
    };
    let running = st.running();
    let input_empty = st.input_empty();
    let own = app.keymap.get(Ctx::Compare, &spec);
    if let Some(cmd) = app.keymap.get(Ctx::Global, &spec) {
        match cmd {
            Cmd::Quit => return app.quit = true,
            Cmd::Interrupt if running => return stop(app, fx),
            Cmd::Interrupt => return crate::ui::update::global::interrupt(app, fx),
            // `?` types itself into a non-empty input.
            Cmd::Help if own.is_none() && (!spec.is_text() || input_empty) => {
                app.modals.push(Modal::Help {
                    ctx: Some(Ctx::Compare),
                    scroll: 0,
                    names: false,
                });
                return;
            }
            // The view's own keys first (f2 is its results pane, not the sessions).
            _ if own.is_none() && leave_for(app, cmd, fx) => return,
            _ => {}
        }
    }
    if let (true, KeyCode::Char(c)) = (spec.is_text(), spec.code) {
        if super::arena::vote_key(app, c, fx) {
            return;
        }
    }
    match own {
        // Typed text goes to the input before any binding of a plain letter.
        Some(_) if spec.is_text() => type_key(app, k),
        Some(cmd) => command(app, cmd, fx),
        // The input is one line: enter never becomes a newline (even when `run` is rebound).
        None if k.code == KeyCode::Enter => {}
        None => type_key(app, k),
    }
}

/// A key for the text area: typing, deleting, moving by character or word.
fn type_key(app: &mut App, k: KeyEvent) {
    if let Some(st) = app.compare.as_mut() {
        if st.input.input(k) {
            st.history_pos = None;
        }
    }
}

fn stop(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(job) = app.compare.as_mut().and_then(|s| s.stop()) {
        fx.push(Effect::Compare(job));
    }
}

/// Opens one of the view's dialogs on the app's modal stack.
fn push(app: &mut App, m: CompareModal) {
    app.modals.push(Modal::Compare(m));
}

/// Asks for a file path in the app's text dialog, prefilled with `text`.
fn ask_path(app: &mut App, purpose: PathFor, text: String) {
    app.modals.push(Modal::Ask {
        ask: Ask::ComparePath(purpose),
        text: new_input(vec![text]),
        error: None,
    });
}

fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    let n = st.columns.len().max(1);
    let busy = "stop the run (esc) before changing variants";
    match cmd {
        Cmd::CmpRun => {
            let input = st.input_text().trim().to_string();
            if input.is_empty() {
                st.error = Some("type an input first".into());
            } else if st.running() {
                st.error = Some("still running: esc stops it first".into());
            } else if let Some(job) = st.start_run(&input) {
                fx.push(Effect::Compare(job));
            }
        }
        Cmd::CmpStop => {
            if st.running() {
                stop(app, fx);
            } else if st.show_eval {
                st.show_eval = false;
            } else {
                app.screen = Screen::Chat;
            }
        }
        Cmd::CmpBack => app.screen = Screen::Chat,
        Cmd::CmpClear => {
            st.input = new_input(Vec::new());
            st.history_pos = None;
        }
        // The columns' text, not while the evaluation pane covers them.
        Cmd::CmpScrollUp if !st.show_eval => scroll_columns(st, -10),
        Cmd::CmpScrollDown if !st.show_eval => scroll_columns(st, 10),
        Cmd::CmpArena => match super::arena::toggle(st) {
            Ok(note) => app.notify(Level::Info, note),
            Err(e) => st.error = Some(e),
        },
        Cmd::CmpPrompt | Cmd::CmpEdit if st.arena.as_ref().is_some_and(|r| r.hidden()) => {
            st.error =
                Some("vote first (a · b · t · x): the variants stay hidden until then".into())
        }
        Cmd::CmpHistoryPrev if !st.history.is_empty() => {
            let pos = match st.history_pos {
                None => st.history.len() - 1,
                Some(p) => p.saturating_sub(1),
            };
            let text = st.history[pos].clone();
            st.set_input(&text);
            st.history_pos = Some(pos);
        }
        Cmd::CmpHistoryNext => match st.history_pos {
            Some(p) if p + 1 < st.history.len() => {
                let text = st.history[p + 1].clone();
                st.set_input(&text);
                st.history_pos = Some(p + 1);
            }
            Some(_) => {
                st.history_pos = None;
                st.input = new_input(Vec::new());
            }
            None => {}
        },
        Cmd::CmpNextColumn => st.selected = (st.selected + 1) % n,
        Cmd::CmpPrevColumn => st.selected = (st.selected + n - 1) % n,
        Cmd::CmpAdd => {
            if st.running() {
                st.error = Some(busy.into());
            } else if st.columns.len() >= MAX_VARIANTS {
                st.error = Some(format!("at most {MAX_VARIANTS} variants run side by side"));
            } else if let Some(c) = st.columns.get(st.selected).cloned() {
                let chosen = c.mode_chosen;
                let mut c = Column::new(c.spec, &c.preset);
                c.mode_chosen = chosen;
                st.columns.insert(st.selected + 1, c);
                st.selected += 1;
                push(app, CompareModal::Variant { field: 0 });
                discover_models(app, fx);
            }
        }
        Cmd::CmpRemove => {
            if st.running() {
                st.error = Some(busy.into());
            } else if st.columns.len() <= 1 {
                st.error = Some("a comparison needs at least one variant".into());
            } else {
                st.columns.remove(st.selected);
                st.selected = st.selected.min(st.columns.len() - 1);
            }
        }
        Cmd::CmpEdit => {
            if st.running() {
                st.error = Some(busy.into());
            } else if !st.columns.is_empty() {
                push(app, CompareModal::Variant { field: 0 });
                discover_models(app, fx);
            }
        }
        Cmd::CmpPrompt => match st.columns.get(st.selected) {
            Some(c) if c.prompt.is_some() => {
                let column = st.selected;
                push(app, CompareModal::Prompt { column, scroll: 0 })
            }
            _ => st.error = Some("run an input first: the prompt is shown once it is sent".into()),
        },
        Cmd::CmpTemplate => {
            if st.running() {
                st.error = Some("stop the run (esc) before switching templates".into());
            } else {
                let templates = super::open::library(app, fx);
                push(
                    app,
                    CompareModal::Templates {
                        templates,
                        selected: 0,
                    },
                );
            }
        }
        Cmd::CmpEval => {
            let classify = st
                .template
                .as_ref()
                .is_some_and(|t| t.task == Task::Classify && !t.labels.is_empty());
            if st.running() {
                st.error = Some("still running: esc stops it first".into());
            } else if !classify {
                st.error = Some(
                    "evaluation needs a classify template (with labels); ctrl+t picks one".into(),
                );
            } else {
                let text = st
                    .eval
                    .as_ref()
                    .map(|e| e.path.display().to_string())
                    .unwrap_or_default();
                ask_path(app, PathFor::EvalData, text);
            }
        }
        Cmd::CmpResults => {
            if st.eval.is_some() {
                st.show_eval = !st.show_eval;
            } else {
                st.error = Some("no evaluation yet: ctrl+l runs one".into());
            }
        }
        Cmd::CmpSave => {
            let has = st.eval.as_ref().is_some_and(|e| e.result.is_some());
            if has {
                let name = st
                    .template
                    .as_ref()
                    .map(|t| t.name.as_str())
                    .unwrap_or("eval");
                let text = crate::session::export_file::exports_dir()
                    .join(format!("predictions-{name}.csv"))
                    .display()
                    .to_string();
                ask_path(app, PathFor::Predictions, text);
            } else {
                st.error = Some("no evaluation results to save yet: ctrl+l runs one".into());
            }
        }
        _ => {}
    }
}

/// Scrolls every column's text by `delta` rows (negative: up), within the longest text.
pub fn scroll_columns(st: &mut CompareState, delta: isize) {
    let top = (st.scroll as isize + delta).clamp(0, st.scroll_max.get() as isize);
    st.scroll = top as u16;
}

/// The mouse wheel on the compare view: the columns' text, three rows a notch.
pub fn wheel(app: &mut App, delta: isize) {
    if let Some(st) = app.compare.as_mut().filter(|st| !st.show_eval) {
        scroll_columns(st, delta);
    }
}
