//! The model picker's "pull from Hugging Face…" row: asking for `OWNER/NAME[:QUANT]`, starting
//! and stopping the download, following its progress and offering the model when it is here.

use crate::ui::app::{App, Ask, Confirm, Level, Modal};

use crate::ui::effect::Effect;
use crate::ui::pull_task::{PullCtl, PullEvent};
use crate::ui::text_input::new_input;

/// Enter on the pull row: ask what to pull, or offer to stop the running download.
pub fn row(app: &mut App) {
    if let Some(spec) = &app.pull.running {
        let question =
            format!("Stop pulling {spec}? What is downloaded stays and the next pull resumes it.");
        app.modals.push(Modal::Confirm {
            what: Confirm::CancelPull,
            question,
        });
        return;
    }
    app.modals.push(Modal::Ask {
        ask: Ask::PullModel,
        text: new_input(Vec::new()),
        error: None,
    });
}

/// The typed name is checked here, so a typo is shown in the dialog, not after a network trip.
pub fn accept(app: &mut App, value: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let value = value.trim();
    if app.pull.running.is_some() {
        return Err("a download is running: wait for it or stop it first".into());
    }
    let spec = crate::hub::spec::parse(value)?;
    let name = match &spec.quant {
        Some(q) => format!("{}:{q}", spec.repo),
        None => spec.repo.clone(),
    };
    app.pull.running = Some(name);
    app.pull.error = None;
    app.pull.done = 0;
    app.pull.total = 0;
    app.pull.file.clear();
    fx.push(Effect::Pull(PullCtl::Start {
        spec: value.to_string(),
    }));
    Ok(())
}

pub fn cancel(app: &mut App, fx: &mut Vec<Effect>) {
    if app.pull.running.take().is_some() {
        fx.push(Effect::Pull(PullCtl::Cancel));
        app.notify(
            Level::Info,
            "download stopped; pulling the same model again resumes it",
        );
    }
}

pub fn event(app: &mut App, ev: PullEvent, fx: &mut Vec<Effect>) {
    match ev {
        // A cancelled download may still send a last event or two: only the running one counts.
        _ if app.pull.running.is_none() => {}
        PullEvent::Progress { file, done, total } => {
            app.pull.file = crate::text::sanitize::sanitize_line(&file);
            app.pull.done = done;
            app.pull.total = total;
        }
        PullEvent::Done(Ok(path)) => {
            let name = app.pull.running.take().unwrap_or_default();
            app.notify(
                Level::Info,
                format!("pulled {name}: pick it in the model picker to load it"),
            );
            app.pull.select = Some(path);
            refresh_picker(app, fx);
        }
        PullEvent::Done(Err(e)) => {
            app.pull.running = None;
            app.notify(Level::Error, format!("pull failed: {e}"));
            app.pull.error = Some(crate::text::sanitize(&e));
        }
    }
}

/// Lists the models again in an open picker, so the new one can be chosen.
fn refresh_picker(app: &mut App, fx: &mut Vec<Effect>) {
    let mut open = false;
    for m in app.modals.iter_mut() {
        if let Modal::Models(p) = m {
            p.models = None;
            open = true;
        }
    }
    if open {
        fx.push(Effect::DiscoverModels {
            extra: app.models_dirs.clone(),
        });
    }
}
