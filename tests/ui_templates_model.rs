//! The template browser's engine work against the real SmolLM2 model: the section token counts
//! on screen are `count_sections`' own, the preview is the exact text after the model's chat
//! template, and `similar` selection renders through the model's embeddings.

mod common;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::EventKind;
use howdah::prompt::{count_sections, Sections, Selection};
use howdah::ui::action::{Action, Tag};
use howdah::ui::effect::Effect;
use howdah::ui::templates::{PreviewRequest, Reloaded};
use support::Harness;

const REVIEW: &str = "The plot dragged but the acting was superb.";

fn open_on_sentiment(h: &mut Harness) {
    h.ctrl('g');
    let lib = howdah::ui::template_jobs::load(&h.app.templates.dir.clone());
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib,
        edited: None,
        error: None,
    })));
    while h.app.templates.template().map(|t| t.name.as_str()) != Some("sentiment") {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.type_str(REVIEW);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
}

/// The request for the current preview: older ones still in flight are answered (as failed)
/// so the browser sends the newest, as the runtime would.
fn last_request(h: &mut Harness) -> PreviewRequest {
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

#[test]
fn section_counts_on_screen_match_count_sections() {
    let (engine, info) = common::engine(common::smollm2());
    let mut h = Harness::new(110, 40);
    h.engine(Tag::Load, EventKind::Loaded(info.clone()));
    open_on_sentiment(&mut h);
    let req = last_request(&mut h);
    let rendered = req.rendered.clone().expect("rendered in update");
    let want = count_sections(&engine, &info, &rendered).expect("counts");
    let id = req.id;
    let (r, exact) = howdah::ui::template_jobs::preview(&engine, &info, req).expect("preview");
    assert_eq!(r, rendered);
    assert_eq!(exact.tokens, want);
    assert!(want.examples > want.input && want.input > 0, "{want:?}");
    assert!(
        exact.text.contains("<|im_start|>system") && exact.text.contains(REVIEW),
        "the exact text is the chat template's: {}",
        exact.text
    );
    h.act(Action::TemplatePreview {
        id,
        result: Ok(Box::new((r, exact))),
    });
    let screen = h.screen();
    let rows = [want.system, want.examples, want.input];
    for (name, n) in Sections::NAMES.iter().zip(rows) {
        let row = format!("{name:<20}{n:>6}");
        assert!(screen.contains(&row), "missing '{row}' in\n{screen}");
    }
    let total = format!("{:<20}{:>6}", "total", want.total);
    assert!(screen.contains(&total), "{screen}");
    let share = format!(
        "{:.1}% of the {}-token context",
        100.0 * want.share(),
        info.n_ctx
    );
    assert!(screen.contains(&share), "{screen}");
    assert!(screen.contains("<|im_start|>user"), "{screen}");
}

#[test]
fn similar_selection_renders_with_the_models_embeddings() {
    let (engine, info) = common::engine(common::smollm2());
    let mut h = Harness::new(110, 40);
    h.engine(Tag::Load, EventKind::Loaded(info.clone()));
    open_on_sentiment(&mut h);
    h.effects.clear();
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // balanced -> similar
    let req = last_request(&mut h);
    assert_eq!(req.selection, Selection::Similar);
    assert!(req.rendered.is_none());
    let (id, shots) = (req.id, req.shots);
    let (r, exact) = howdah::ui::template_jobs::preview(&engine, &info, req).expect("similar");
    assert_eq!(r.examples.len(), shots);
    assert_eq!(exact.tokens, count_sections(&engine, &info, &r).unwrap());
    h.act(Action::TemplatePreview {
        id,
        result: Ok(Box::new((r.clone(), exact))),
    });
    // Sending now uses exactly the examples the model chose.
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let messages = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Generate { messages, .. } => Some(messages.clone()),
            _ => None,
        })
        .expect("send starts a generation");
    assert_eq!(howdah::engine::Prompt::Chat(messages), r.prompt);
}
