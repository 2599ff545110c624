//! The template browser through `update` and `render`, with the scripted fake engine of
//! `support`: the snapshot of the list and preview, shots/selection/variables changing the
//! preview, one engine job at a time, section colours, and rendering at any size.

mod support;
mod template_support;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::prompt::{Library, Mode, RenderOptions};
use howdah::ui::app::Screen;
use howdah::ui::effect::Effect;
use howdah::ui::templates::state::Preview;
use support::Harness;
use template_support::{answer, fill, last_request, open, pick, rendered, REVIEW};

#[test]
fn browser_with_sentiment_preview_snapshot() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    assert_eq!(h.app.screen, Screen::Templates);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let req = last_request(&mut h);
    assert_eq!(req.vars.get("text").map(String::as_str), Some(REVIEW));
    answer(&mut h, &req);
    let screen = h.screen();
    assert!(screen.contains("151"), "{screen}");
    assert!(
        screen.contains("7.4% of the 2048-token context"),
        "{screen}"
    );
    insta::assert_snapshot!("template_browser_sentiment", screen);
}

#[test]
fn shots_and_selection_change_the_preview() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let lib = Library::load_from(None);
    let t = lib.get("sentiment").unwrap();
    assert_eq!(
        h.app.templates.shots, t.shots,
        "starts at the template's shots"
    );
    let before = rendered(&h);
    assert_eq!(before.examples.len(), t.shots);
    h.key(KeyCode::Right, KeyModifiers::NONE);
    let more = rendered(&h);
    assert_eq!(more.examples.len(), t.shots + 1);
    assert!(more.display().len() > before.display().len());
    for _ in 0..10 {
        h.key(KeyCode::Left, KeyModifiers::NONE);
    }
    let zero = rendered(&h);
    assert!(zero.examples.is_empty(), "left goes down to zero-shot");
    assert!(h.screen().contains("shots 0/"));
    // Back to 4 shots; balanced (the default) alternates labels, first takes file order.
    for _ in 0..4 {
        h.key(KeyCode::Right, KeyModifiers::NONE);
    }
    let balanced = rendered(&h);
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // balanced -> similar
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // similar -> first
    assert_eq!(h.app.templates.selection.as_str(), "first");
    let first = rendered(&h);
    assert_eq!(first.examples, vec![0, 1, 2, 3]);
    let expected = t
        .render(
            &BTreeMap::from([("text".to_string(), REVIEW.to_string())]),
            &RenderOptions {
                shots: 4,
                selection: howdah::prompt::Selection::Balanced,
                seed: 0,
                mode: Mode::Chat,
                exclude: vec![],
                embedder: None,
            },
        )
        .unwrap();
    assert_eq!(balanced, expected, "the preview is the library's rendering");
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // first -> random
    let random = rendered(&h);
    h.key(KeyCode::Char('r'), KeyModifiers::NONE); // new seed
    assert_eq!(h.app.templates.seed, 1);
    let reseeded = rendered(&h);
    assert_eq!(random.examples.len(), 4);
    assert_eq!(reseeded.examples.len(), 4);
    assert_ne!(
        random.examples, reseeded.examples,
        "another seed draws others"
    );
}

#[test]
fn similar_selection_asks_the_engine_and_waits() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    h.effects.clear();
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // balanced -> similar
    assert_eq!(h.app.templates.preview, Preview::Choosing);
    let req = last_request(&mut h);
    assert!(
        req.rendered.is_none(),
        "similar is rendered by the engine job"
    );
    assert!(h.screen().contains("choosing the most similar examples"));
    // Sending while the examples are being chosen waits instead of sending something else.
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(!h
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Generate { .. })));
    assert_eq!(h.app.screen, Screen::Templates);
}

#[test]
fn typed_values_stay_with_their_template_and_carry_over_by_name() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, "great");
    pick(&mut h, "sentiment-3way");
    assert_eq!(
        h.app.templates.filled().get("text").map(String::as_str),
        Some("great")
    );
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.templates.template().unwrap().name, "sentiment");
    assert!(rendered(&h).display().contains("Review: great"));
}

#[test]
fn one_preview_job_at_a_time_and_the_newest_waits() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    let _ = last_request(&mut h); // the job now in flight
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.type_str("fast typing");
    let sent = |h: &Harness| {
        h.effects
            .iter()
            .filter(|e| matches!(e, Effect::TemplatePreview(_)))
            .count()
    };
    assert_eq!(sent(&h), 0, "typing while a job runs only queues");
    let req = last_request(&mut h);
    assert_eq!(
        req.vars.get("text").map(String::as_str),
        Some("fast typing")
    );
    assert_eq!(sent(&h), 0);
}

#[test]
fn browser_renders_at_every_small_size() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "qa");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.type_str("A long passage about bees.");
    h.key(KeyCode::Char('j'), KeyModifiers::CONTROL);
    h.type_str("Second line.");
    let req = last_request(&mut h);
    answer(&mut h, &req);
    for w in 1..=60 {
        for ht in 1..=20 {
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, ht)).unwrap();
            term.draw(|f| howdah::ui::view::render(&h.app, f)).unwrap();
        }
    }
}

#[test]
fn preview_colours_sections_and_dims_markup() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let req = last_request(&mut h);
    answer(&mut h, &req);
    h.draw();
    let th = h.app.theme.clone();
    let buf = h.term.backend().buffer().clone();
    let fg_at = |needle: &str| {
        for y in 0..buf.area.height {
            let row: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            if let Some(byte) = row.find(needle) {
                let x = row[..byte].chars().count() as u16;
                return buf[(x, y)].fg;
            }
        }
        panic!("{needle} not on screen");
    };
    assert_eq!(fg_at(&format!("Review: {REVIEW}")), th.accent, "the input");
    assert_eq!(fg_at("<|im_start|>system"), th.dim, "chat markup");
    assert_eq!(fg_at("Classify the sentiment of each"), th.system);
    assert_eq!(fg_at("Review: I loved this movie"), th.fg, "an example");
}
