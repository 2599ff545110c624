//! Template browser → conversation: sending the rendered prompt (chat turns or a raw
//! completion), refusing with a clear note while a variable is blank, and handing a template to
//! the comparison view.

use super::state::{CompareRequest, Preview, TplFocus};
use crate::engine::{Prompt, Role};
use crate::prompt::Rendered;
use crate::ui::app::{App, Level, Screen};
use crate::ui::chat::conversation::ChatEntry;
use crate::ui::chat::conversation_list;
use crate::ui::chat::send as chat_send;
use crate::ui::chat::state::Focus;
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// The rendering to send, or why there is none (already told to the user).
fn ready_to_send(app: &mut App) -> Option<(crate::prompt::Template, Rendered)> {
    let tp = &app.templates;
    let Some(t) = tp.template().cloned() else {
        let why = match tp.broken() {
            Some(_) => "this file failed to load: e opens it to fix it",
            None => "pick a template first",
        };
        app.notify(Level::Warn, why);
        return None;
    };
    let missing = tp.missing();
    if let Some(first) = missing.first() {
        let field = tp.fields.iter().position(|(n, _)| n == first).unwrap_or(0);
        app.notify(
            Level::Error,
            format!(
                "fill the variable{} {} before sending ({} goes to the fields)",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                app.keymap.hint(Cmd::TplFill)
            ),
        );
        app.templates.focus = TplFocus::Vars;
        app.templates.field = field;
        return None;
    }
    match &tp.preview {
        Preview::Ready { rendered, .. } => Some((t, rendered.clone())),
        Preview::Choosing => {
            app.notify(
                Level::Info,
                "the most similar examples are still being chosen: send again in a moment",
            );
            None
        }
        Preview::Error(e) => {
            let e = e.clone();
            app.notify(Level::Error, e);
            None
        }
        Preview::None => None,
    }
}

/// Sends the rendered prompt: chat mode makes it the conversation (system prompt, example turns,
/// the input as the last user turn) and starts the reply; completion mode streams a raw
/// completion of the text. A conversation that already has messages is left as it is and a new
/// one takes the prompt.
pub fn send(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(why) = chat_send::not_ready(app) {
        app.notify(Level::Warn, why);
        return;
    }
    let Some((t, rendered)) = ready_to_send(app) else {
        return;
    };
    let values = app.templates.remember();
    // Titled by the template and its first variable's value ("sentiment: Loved it").
    let first = app
        .templates
        .fields
        .first()
        .and_then(|(n, _)| values.get(n))
        .cloned()
        .unwrap_or_default();
    if !app.conv().messages.is_empty() {
        let i = app.add_conversation();
        conversation_list::switch(app, i);
    }
    let tp = &app.templates;
    let setup = crate::compare::save::setup(
        &t,
        tp.filled(),
        &rendered.examples,
        rendered.examples.len(),
        tp.selection,
        tp.seed,
    );
    let conv = app.conv_mut();
    conv.auto_title(&format!("{}: {}", t.name, first.trim()));
    let sampling = t.sampling_for(rendered.mode);
    // Completion layout always takes the template's base-model sampling (the stop strings that
    // end the answer); a chat keeps the conversation's unless the template sets its own.
    let raw = matches!(rendered.prompt, Prompt::Raw(_));
    if (raw || t.sampling.is_some() || t.grammar.is_some()) && conv.sampling != sampling {
        conv.sampling = sampling;
        conv.preset = "custom".into();
    }
    let shots = rendered.examples.len();
    conv.system_prompt.clear();
    conv.completion = raw;
    match rendered.prompt {
        Prompt::Chat(msgs) => {
            for m in msgs {
                if m.role == Role::System {
                    conv.system_prompt = m.content;
                } else {
                    conv.messages.push(ChatEntry::new(m.role, m.content));
                }
            }
        }
        // The whole prompt is one text the model continues.
        Prompt::Raw(text) => conv.messages.push(ChatEntry::new(Role::User, text)),
    }
    chat_send::start_reply(app, Some(setup), fx);
    app.screen = Screen::Chat;
    app.chat.focus = Focus::Input;
    app.notify(
        Level::Info,
        format!(
            "sent '{}' ({} mode, {shots} shot{})",
            t.name,
            rendered.mode.as_str(),
            if shots == 1 { "" } else { "s" }
        ),
    );
}

/// The template and its settings as they are now, for the comparison view; or why not (told).
fn compare_request(app: &mut App) -> Option<CompareRequest> {
    let tp = &app.templates;
    let Some(t) = tp.template() else {
        app.notify(Level::Warn, "pick a template first");
        return None;
    };
    let missing = tp.missing();
    if !missing.is_empty() {
        app.notify(
            Level::Error,
            format!("fill {} before comparing", missing.join(", ")),
        );
        return None;
    }
    Some(CompareRequest {
        template: t.name.clone(),
        vars: tp.filled(),
        shots: tp.shots,
        selection: tp.selection,
        seed: tp.seed,
        mode: tp.mode,
    })
}

/// Hands the template to the comparison view and shows it.
pub fn compare(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(req) = compare_request(app) {
        app.templates.remember();
        crate::ui::compare::open::open_with(app, req, fx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::Setup;
    use crate::ui::keymap::bindings::Keymap;
    use crate::ui::templates::state::Reloaded;

    fn app_on(template: &str, text: &str) -> App {
        let dir = std::env::temp_dir().join("howdah-no-such-config-dir");
        let mut app = App::new(Setup {
            config: Default::default(),
            config_text: String::new(),
            config_dir: dir,
            warnings: vec![],
            engine: Default::default(),
            models_dirs: vec![],
            model: Err("no model in this test".into()),
        });
        let mut fx = Vec::new();
        crate::ui::templates::library::open(&mut app, &mut fx);
        let lib = crate::prompt::Library::load_from(None);
        let r = Reloaded {
            lib,
            edited: None,
            error: None,
        };
        crate::ui::templates::library::loaded(&mut app, r, &mut fx);
        while app.templates.template().map(|t| t.name.as_str()) != Some(template) {
            crate::ui::templates::update::command(&mut app, Cmd::TplNext, &mut fx);
        }
        if let Some((_, field)) = app.templates.fields.first_mut() {
            field.insert_str(text);
        }
        app
    }

    #[test]
    fn compare_hook_hands_over_the_template_and_its_settings() {
        let mut app = app_on("topic", "Stocks fell sharply on Monday");
        app.templates.seed = 7;
        let t = app.templates.template().unwrap().clone();
        assert_eq!(
            compare_request(&mut app),
            Some(CompareRequest {
                template: "topic".into(),
                vars: [(
                    "text".to_string(),
                    "Stocks fell sharply on Monday".to_string()
                )]
                .into_iter()
                .collect(),
                shots: t.shots,
                selection: t.selection,
                seed: 7,
                // Not chosen in the browser: the compare view follows the model's layout.
                mode: None,
            })
        );
    }

    #[test]
    fn compare_hook_opens_the_compare_view_on_the_template_and_input() {
        let km = Keymap::default();
        assert_eq!(km.hint(Cmd::TplCompare), "c");
        let mut app = app_on("sentiment", "What a lovely film");
        app.templates.shots = 2;
        let mut fx = Vec::new();
        crate::ui::templates::update::command(&mut app, Cmd::TplCompare, &mut fx);
        assert_eq!(app.screen, crate::ui::app::Screen::Compare);
        let st = app.compare.as_ref().unwrap();
        assert_eq!(st.template.as_ref().unwrap().name, "sentiment");
        assert_eq!(st.input_text(), "What a lovely film");
        assert!(!app
            .modals
            .iter()
            .any(|m| matches!(m, crate::ui::app::Modal::Compare(_))));
        // Zero-, one- and the template's k-shot, plus the browser's 2 shots.
        let shots: Vec<usize> = st.columns.iter().map(|c| c.spec.shots).collect();
        assert!(
            shots.starts_with(&[0, 1]) && shots.contains(&2),
            "{shots:?}"
        );
    }
}
