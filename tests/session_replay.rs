//! The library path the TUI takes: a chat recorded in one engine process (the second turn
//! reusing the KV cache), saved message by message, then replayed with `replay::replay`.

mod common;

use howdah::engine::{Engine, EngineSettings, Role, Sampling};
use howdah::session::diff::SpanKind;
use howdah::session::record::{model_ref, reply_record, ReplyInput};
use howdah::session::replay::{plan, prompt_for, replay, Outcome, ReplayOptions, SamplingFrom};
use howdah::session::{Message, PromptMode, SessionKind, Store};

#[test]
fn a_chat_recorded_with_cache_reuse_replays_identically() {
    let model = common::smollm2();
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::new(tmp.path().join("sessions"));
    let engine = Engine::spawn().unwrap();
    let asked = EngineSettings {
        threads: Some(2),
        ..EngineSettings::default()
    };
    let info = engine.load(&model, asked.clone()).unwrap();
    let mref = model_ref(&info);
    let sampling = Sampling {
        max_tokens: 20,
        ..Sampling::greedy()
    };
    let mut chat = store.create_new(SessionKind::Chat).unwrap();
    chat.push(Message::new(Role::System, "You are terse."))
        .unwrap();
    for question in ["What is 2 + 2?", "And 3 + 3?"] {
        chat.push(Message::new(Role::User, question)).unwrap();
        let prompt = prompt_for(&chat.session.messages, PromptMode::Chat);
        let done = engine
            .generate_one(prompt, sampling.clone(), |_| {})
            .unwrap();
        let record = reply_record(ReplyInput {
            model: &mref,
            info: &info,
            asked: &asked,
            sampling: &sampling,
            mode: PromptMode::Chat,
            setup: None,
            prompt: None,
            done: &done,
        });
        chat.push(Message::reply(done.text.clone(), record))
            .unwrap();
    }
    let session = store.open(&chat.session.id).unwrap().session;
    let r2 = session.messages[4].reply.as_deref().unwrap();
    assert!(
        r2.stats.prompt_tokens_decoded < r2.stats.prompt_tokens,
        "the second turn should have reused the cache"
    );

    let mut warnings = Vec::new();
    let plans = plan(&session, &ReplayOptions::default(), &mut warnings).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(plans.len(), 2);
    assert!(plans[0].reset_cache && !plans[1].reset_cache);
    assert_eq!(plans[1].reply_index, 4);

    let mut seen = 0;
    let report = replay(&engine, &session, &ReplayOptions::default(), |_| seen += 1).unwrap();
    assert_eq!(seen, 2);
    for t in &report.turns {
        assert_eq!(
            t.outcome,
            Outcome::Identical,
            "turn {}: {:?}",
            t.turn,
            t.diff
        );
        assert_eq!(t.replayed, t.recorded);
        assert!(t.diff.iter().all(|s| s.kind == SpanKind::Equal));
    }

    // Current settings that cut the reply short diverge where the replay stops.
    let short = ReplayOptions {
        sampling: SamplingFrom::Current(Sampling {
            max_tokens: 2,
            ..Sampling::greedy()
        }),
        ..ReplayOptions::default()
    };
    let report = replay(&engine, &session, &short, |_| {}).unwrap();
    assert!(!report.all_identical());
    for t in &report.turns {
        assert!(t.recorded.starts_with(&t.replayed), "{t:?}");
        assert_eq!(
            t.outcome,
            Outcome::Differs {
                token: 2,
                word: howdah::session::diff::word_index_at(&t.recorded, t.replayed.len()),
                byte: t.replayed.len()
            }
        );
        assert!(t.diff.iter().any(|s| s.kind == SpanKind::Removed));
        // Same device as recorded: a difference is not explained away.
        assert_eq!(t.device_note, None);
    }

    // Each reply records where it ran; one recorded on a GPU and replayed on the CPU gets its
    // difference explained.
    let placed = r2.device.clone().expect("the device is recorded");
    assert_eq!(
        (placed.backend.as_str(), placed.layers_offloaded),
        ("CPU", 0)
    );
    assert_eq!(placed.layers_total, 31);
    let mut on_gpu = session.clone();
    on_gpu.messages[2].reply.as_mut().unwrap().device = Some(howdah::engine::Offload {
        backend: "Vulkan".into(),
        device: "Vulkan0 Test GPU".into(),
        layers_offloaded: 31,
        layers_total: 31,
        note: None,
        placement: None,
    });
    let report = replay(&engine, &on_gpu, &short, |_| {}).unwrap();
    let note = report.turns[0].device_note.as_deref().expect("explained");
    assert!(
        note.starts_with(
            "recorded on Vulkan0 Test GPU (Vulkan, 31/31 layers), replayed on the CPU"
        ),
        "{note}"
    );
    assert_eq!(report.turns[1].device_note, None);
}
