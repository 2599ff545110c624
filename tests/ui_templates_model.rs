//! The template browser's engine work against the real SmolLM2 model: the section token counts
//! on screen are `count_sections`' own, the preview is the exact text after the model's chat
//! template, and `similar` selection renders through the model's embeddings.

mod common;
mod support;
mod template_support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::EventKind;
use howdah::prompt::{count_sections, Sections, Selection};
use howdah::ui::action::{Action, Tag};
use howdah::ui::effect::Effect;
use support::Harness;
use template_support::{fill, last_request, open, pick, REVIEW};

fn open_on_sentiment(h: &mut Harness) {
    open(h);
    pick(h, "sentiment");
    fill(h, REVIEW);
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
    let (r, exact) = howdah::ui::templates::jobs::preview(&engine, &info, req).expect("preview");
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
    let (r, exact) = howdah::ui::templates::jobs::preview(&engine, &info, req).expect("similar");
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
            Effect::Generate {
                prompt: howdah::engine::Prompt::Chat(messages),
                ..
            } => Some(messages.clone()),
            _ => None,
        })
        .expect("send starts a generation");
    assert_eq!(howdah::engine::Prompt::Chat(messages), r.prompt);
}
