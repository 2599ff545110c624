//! Helpers for the template browser tests: open the browser with the library loaded, pick a
//! template, fill its variable, read the preview, and play the engine's part of a preview.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::Prompt;
use howdah::prompt::{Rendered, SectionTokens};
use howdah::ui::action::Action;
use howdah::ui::effect::Effect;
use howdah::ui::templates::state::{Exact, Preview, PreviewRequest, Reloaded, TplFocus};

use crate::support::Harness;

/// Opens the browser and answers its library load from the harness's config folder.
pub fn open(h: &mut Harness) {
    h.effects.clear();
    h.ctrl('g');
    let dir = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadTemplates { dir } => Some(dir.clone()),
            _ => None,
        })
        .expect("opening the browser loads the library");
    let lib = howdah::ui::templates::jobs::load(&dir);
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib,
        edited: None,
        error: None,
    })));
    h.draw();
}

/// Moves down the list to template `name`.
pub fn pick(h: &mut Harness, name: &str) {
    for _ in 0..40 {
        if h.app.templates.template().map(|t| t.name.as_str()) == Some(name) {
            return;
        }
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    panic!("template {name} not in the list");
}

pub fn fill(h: &mut Harness, text: &str) {
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(h.app.templates.focus, TplFocus::Vars);
    h.type_str(text);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.templates.focus, TplFocus::List);
}

pub fn rendered(h: &Harness) -> Rendered {
    match &h.app.templates.preview {
        Preview::Ready { rendered, .. } => rendered.clone(),
        other => panic!("no rendered preview: {other:?}"),
    }
}

/// The request for the current preview: older ones still in flight are answered (as failed)
/// so the browser sends the newest, as the runtime would.
pub fn last_request(h: &mut Harness) -> PreviewRequest {
    loop {
        let sent = h.effects.iter().rev().find_map(|e| match e {
            Effect::TemplatePreview(r) => Some((**r).clone()),
            _ => None,
        });
        h.effects.clear();
        if let Some(req) = &sent {
            if req.id == h.app.templates.preview_id {
                return req.clone();
            }
        }
        assert!(
            h.app.templates.in_flight,
            "no preview request for the engine"
        );
        // Id 0 is never a preview's: this only ends the job in flight.
        let id = sent.map(|r| r.id).unwrap_or(0);
        h.act(Action::TemplatePreview {
            id,
            result: Err("superseded".into()),
        });
    }
}

/// What the engine would answer, with SmolLM2's chat markup written out by hand.
pub fn answer(h: &mut Harness, req: &PreviewRequest) {
    let r = req.rendered.clone().expect("rendered in update");
    let text = match &r.prompt {
        Prompt::Chat(msgs) => {
            let mut s = String::new();
            for m in msgs {
                s.push_str(&format!(
                    "<|im_start|>{}\n{}<|im_end|>\n",
                    m.role.as_str(),
                    m.content
                ));
            }
            s + "<|im_start|>assistant\n"
        }
        Prompt::Raw(t) => t.clone(),
    };
    let tokens = SectionTokens {
        system: 12,
        examples: 96,
        input: 17,
        total: 151,
        n_ctx: 2048,
    };
    let exact = Exact {
        text,
        tokens,
        model: "SmolLM2 135M Instruct".into(),
    };
    h.act(Action::TemplatePreview {
        id: req.id,
        result: Ok(Box::new((r, exact))),
    });
    h.draw();
}

pub const REVIEW: &str = "The plot dragged but the acting was superb.";
