//! Frame time of the chat screen with a long transcript: 2,000 messages with code blocks, rendered
//! into a TestBackend. Rows are cached per message and only the visible window is drawn, so the
//! time should not depend on the transcript's length (compare the 20-message case).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use howdah::engine::Role;
use howdah::ui::app::{App, Setup};
use howdah::ui::chat::conversation::{ChatEntry, Scroll};
use howdah::ui::reply::ReplyState;
use howdah::ui::view::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn app_with(n: usize) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = App::new(Setup {
        config: Default::default(),
        config_text: String::new(),
        config_dir: dir.path().to_path_buf(),
        warnings: vec![],
        engine: Default::default(),
        models_dirs: vec![],
        model: Err("benchmark: no model".into()),
    });
    app.notices.clear();
    let conv = &mut app.chat.convs[0];
    for i in 0..n {
        let m = if i % 2 == 0 {
            ChatEntry::new(
                Role::User,
                format!("Question {i}: how do I sum a list in Rust?"),
            )
        } else {
            ChatEntry::new(
                Role::Assistant,
                format!(
                    "## Answer {i}\n\nUse **iterators**:\n\n```rust\nfn total(xs: &[i64]) -> i64 {{\n    xs.iter().sum()\n}}\n```\n\n- short\n- *fast*\n\n| n | sum |\n|---|---:|\n| {i} | {} |\n",
                    i * 2
                ),
            )
        };
        conv.messages.push(m);
    }
    (app, dir)
}

fn bench(c: &mut Criterion) {
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    for n in [20usize, 2000] {
        let (app, _dir) = app_with(n);
        term.draw(|f| render(&app, f)).expect("draw");
        c.bench_function(&format!("frame {n} messages, following the end"), |b| {
            b.iter(|| term.draw(|f| render(black_box(&app), f)).map(|_| ()))
        });
    }
    let (mut app, _dir) = app_with(2000);
    app.chat.convs[0].scroll = Scroll::At { msg: 1000, line: 0 };
    term.draw(|f| render(&app, f)).expect("draw");
    c.bench_function("frame 2000 messages, scrolled to the middle", |b| {
        b.iter(|| term.draw(|f| render(black_box(&app), f)).map(|_| ()))
    });
    // Streaming: each frame the last reply grows by a token, so its rows are rebuilt. The reply
    // is a markdown answer with a code block, growing to 200 words and starting over.
    let (mut app, _dir) = app_with(2000);
    let base = app.chat.convs[0]
        .messages
        .last()
        .map(|m| m.body.text.clone())
        .unwrap_or_default();
    if let Some(m) = app.chat.convs[0].messages.last_mut() {
        m.body.state = ReplyState::Streaming;
    }
    let mut words = 0;
    c.bench_function("frame 2000 messages, streaming a token per frame", |b| {
        b.iter(|| {
            if let Some(m) = app.chat.convs[0].messages.last_mut() {
                words = (words + 1) % 200;
                if words == 0 {
                    m.body.text = base.clone();
                }
                m.body.text.push_str(" word");
                m.touch();
            }
            term.draw(|f| render(black_box(&app), f)).map(|_| ())
        })
    });
    c.bench_function("first frame 2000 messages (cold caches)", |b| {
        b.iter_with_setup(
            || app_with(2000),
            |(app, _dir)| term.draw(|f| render(black_box(&app), f)).map(|_| ()),
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
