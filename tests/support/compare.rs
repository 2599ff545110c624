//! The compare view's scripted side, shared by the compare and arena UI tests: opening the view
//! on a built-in template, and a variant's finished reply with fixed figures.

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::compare::CompareEvent;
use howdah::engine::{DoneStats, StopReason};
use howdah::ui::action::Action;
use howdah::ui::app::{Modal, Screen};
use howdah::ui::compare::job::CompareMsg;
use howdah::ui::compare::state::CompareModal;

use super::Harness;

/// Opens the compare view (F3) and picks the built-in template `name` in its picker.
pub fn open_with_template(h: &mut Harness, name: &str) {
    h.effects.clear();
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Compare);
    // The view asks for the template library as an effect; the harness answers it.
    h.answer_template_load();
    // The picker is a dialog on the app's modal stack.
    let idx = match h.app.modals.last() {
        Some(Modal::Compare(CompareModal::Templates { templates, .. })) => templates
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("the built-in {name} template is listed")),
        other => panic!("the template picker should be open, got {other:?}"),
    };
    for _ in 0..idx {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    h.key(KeyCode::Enter, KeyModifiers::NONE);
}

/// Variant `variant` of compare run `run` finished with `text` (fixed figures: a longer prompt
/// per variant, 2 tokens).
pub fn done(h: &mut Harness, run: u64, variant: usize, text: &str) {
    h.act(Action::Compare(CompareMsg::Event {
        run,
        event: CompareEvent::Done {
            variant,
            stats: DoneStats {
                seq: variant,
                stop: StopReason::Eos,
                text: text.into(),
                prompt_tokens: 40 + 30 * variant as u32,
                prompt_tokens_decoded: 40,
                generated_tokens: 2,
                ttft_ms: 120.0,
                prompt_tps: 800.0,
                gen_tps: 45.5,
                mean_logprob: -0.25,
                dropped_messages: 0,
                context_used: 100,
                template_fallback: None,
            },
        },
    }));
}
