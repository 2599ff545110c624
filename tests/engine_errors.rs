//! What goes wrong: bad model files, prompts too long for the context, cancellation; the
//! engine reports it clearly and stays usable.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use howdah::engine::{
    ChatMessage, Engine, EngineError, EngineSettings, EventKind, Prompt, Request, Sampling,
    StopReason, Variant,
};

fn bad_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    (dir, p)
}

#[test]
fn bad_model_files_name_the_file_and_the_engine_survives() {
    let engine = Engine::spawn().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(vec![0u8; 4096]);
    let random: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let real = std::fs::read(common::smollm2()).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.gguf", vec![], "empty"),
        ("random.gguf", random, "not a GGUF"),
        ("picture.gguf", png, "not a GGUF"),
        (
            "truncated.gguf",
            real[..real.len() / 3].to_vec(),
            "truncated",
        ),
        ("header.gguf", real[..200].to_vec(), "too small"),
    ];
    for (name, bytes, want) in cases {
        let (_d, path) = bad_file(name, &bytes);
        let err = engine.load(&path, EngineSettings::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains(want), "{name}: {msg}");
    }
    let missing = engine
        .load("/nonexistent/model.gguf", EngineSettings::default())
        .unwrap_err()
        .to_string();
    assert!(missing.contains("does not exist"), "{missing}");
    // Nothing loaded yet: a generation says so.
    let no_model = engine
        .generate_one(Prompt::Raw("hi".into()), Sampling::greedy(), |_| {})
        .unwrap_err();
    assert_eq!(no_model, EngineError::NoModel);
    // The engine still loads a good model and works.
    engine
        .load(
            common::smollm2(),
            EngineSettings {
                threads: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    // A failed switch keeps the loaded model usable.
    let (_d, path) = bad_file("broken.gguf", b"GGUF");
    assert!(engine.load(&path, EngineSettings::default()).is_err());
    let r = engine
        .generate_one(
            Prompt::Raw("Hello".into()),
            Sampling {
                max_tokens: 3,
                ..Sampling::greedy()
            },
            |_| {},
        )
        .unwrap();
    assert!(r.generated_tokens > 0);
}

#[test]
fn over_long_prompts_and_full_conversations() {
    let (engine, _) = common::engine_with(common::smollm2(), Some(256));
    let long = "word ".repeat(400);
    let err = engine
        .generate_one(
            Prompt::Chat(vec![ChatMessage::user(long.clone())]),
            Sampling::greedy(),
            |_| {},
        )
        .unwrap_err();
    match &err {
        EngineError::PromptTooLong { prompt, n_ctx } => {
            assert!(*prompt > 256);
            assert_eq!(*n_ctx, 256);
        }
        e => panic!("unexpected {e}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("256") && msg.contains("--ctx-size"), "{msg}");
    assert!(engine
        .generate_one(Prompt::Raw(long), Sampling::greedy(), |_| {})
        .is_err());
    // A long conversation loses its oldest turns (after the system prompt) and says so.
    let mut msgs = vec![ChatMessage::system("Be brief.")];
    for i in 0..12 {
        msgs.push(ChatMessage::user(format!(
            "Tell me fact number {i} about the ocean, please."
        )));
        msgs.push(ChatMessage::assistant(
            "The ocean covers most of the Earth and is very deep in places.",
        ));
    }
    msgs.push(ChatMessage::user("Thanks!"));
    let r = engine
        .generate_one(
            Prompt::Chat(msgs),
            Sampling {
                max_tokens: 16,
                ..Sampling::greedy()
            },
            |_| {},
        )
        .unwrap();
    assert!(
        r.dropped_messages >= 2 && r.dropped_messages % 2 == 0,
        "{}",
        r.dropped_messages
    );
    assert!(r.prompt_tokens < 256);
    // Generation that reaches the end of the context stops with ContextFull.
    let r = engine
        .generate_one(
            Prompt::Raw("Count: 1 2 3 4 5 6 7 8 9 10".into()),
            Sampling {
                max_tokens: 10_000,
                stop: vec![],
                ..Sampling::greedy()
            },
            |_| {},
        )
        .unwrap();
    assert!(
        matches!(r.stop, StopReason::ContextFull | StopReason::Eos),
        "{:?}",
        r.stop
    );
}

#[test]
fn cancel_stops_within_a_token_and_the_engine_stays_usable() {
    let (engine, _) = common::engine(common::gemma());
    let (tx, rx) = std::sync::mpsc::channel();
    let id = engine.submit(
        Request::Generate {
            variants: vec![Variant {
                prompt: Prompt::Raw("Once upon a time".into()),
                sampling: Sampling {
                    max_tokens: 2000,
                    ..Sampling::greedy()
                },
            }],
        },
        tx,
    );
    let mut tokens = 0;
    let mut after_cancel = 0;
    let mut cancelled_at = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ev = rx
            .recv_timeout(deadline - Instant::now())
            .expect("events keep coming");
        match ev.kind {
            EventKind::Token(_) => {
                tokens += 1;
                if cancelled_at.is_some() {
                    after_cancel += 1;
                }
                if tokens == 5 {
                    engine.cancel(id);
                    cancelled_at = Some(Instant::now());
                }
            }
            EventKind::Done(d) => {
                assert_eq!(d.stop, StopReason::Cancelled);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(after_cancel <= 1, "{after_cancel} tokens after cancel");
    let r = engine
        .generate_one(
            Prompt::Raw("Hello".into()),
            Sampling {
                max_tokens: 3,
                ..Sampling::greedy()
            },
            |_| {},
        )
        .unwrap();
    assert_eq!(r.stop, StopReason::MaxTokens);
}

#[test]
fn a_failing_variant_does_not_stop_the_others() {
    let (engine, _) = common::engine(common::smollm2());
    let ok = Variant {
        prompt: Prompt::Raw("Hello".into()),
        sampling: Sampling {
            max_tokens: 4,
            ..Sampling::greedy()
        },
    };
    let bad = Variant {
        prompt: Prompt::Raw("Hello".into()),
        sampling: Sampling {
            top_p: 7.0,
            ..Sampling::greedy()
        },
    };
    let r = engine.generate(vec![ok.clone(), bad, ok], |_| {}).unwrap();
    assert!(r[0].is_ok() && r[2].is_ok());
    assert!(r[1].as_ref().unwrap_err().to_string().contains("top_p"));
}
