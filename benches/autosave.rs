//! Cost of autosave's check after every action (the UI thread compares each conversation's
//! finished messages with its session) with a 2,000-message conversation already saved, and
//! while a reply streams into it: it should stay far below a frame (16 ms).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use howdah::engine::{EventKind, Role, TokenEvent};
use howdah::session::Store;
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{App, Setup};
use howdah::ui::chat::conversation::ChatEntry;
use howdah::ui::chat::state::Generation;
use howdah::ui::reply::ReplyState;
use howdah::ui::update::update;

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
    app.sessions.store = Store::new(dir.path().join("sessions"));
    let conv = &mut app.chat.convs[0];
    for i in 0..n {
        let (role, text) = if i % 2 == 0 {
            (
                Role::User,
                format!("Question {i}: how do I sum a list in Rust?"),
            )
        } else {
            (
                Role::Assistant,
                format!("Use iterators: `xs.iter().sum()` ({i}). ").repeat(8),
            )
        };
        conv.messages.push(ChatEntry::new(role, text));
    }
    // The first action links and "saves" the conversation (effects are not run here).
    update(&mut app, Action::Resize(80, 24));
    (app, dir)
}

fn bench(c: &mut Criterion) {
    let (mut app, _d) = app_with(2000);
    c.bench_function("autosave check, 2000 saved messages, nothing new", |b| {
        b.iter(|| black_box(update(&mut app, Action::Resize(80, 24))))
    });
    let mut reply = ChatEntry::new(Role::Assistant, "");
    reply.body.state = ReplyState::Streaming;
    app.chat.convs[0].messages.push(reply);
    let msg = app.chat.convs[0].messages.len() - 1;
    app.chat.generation = Some(Generation {
        gen: 1,
        conv: app.chat.convs[0].id,
        msg,
    });
    let token = TokenEvent {
        seq: 0,
        token_id: 5,
        text: " word".into(),
        piece: " word".into(),
        logprob: -0.1,
        top: vec![],
        context_used: 30,
    };
    c.bench_function("streamed token with autosave, 2000 saved messages", |b| {
        b.iter(|| {
            black_box(update(
                &mut app,
                Action::Engine {
                    tag: Tag::Gen(1),
                    kind: EventKind::Token(token.clone()),
                },
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
