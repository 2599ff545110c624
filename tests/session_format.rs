//! Property test: any session survives encode → decode unchanged.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use howdah::engine::{Prompt, Role, Sampling};
use howdah::session::{
    decode, encode, Message, PromptMode, PromptSetup, ReplyRecord, Run, Session, SessionKind, Shot,
};
use proptest::prelude::*;

use common::reply_record as record;

fn dyadic() -> impl Strategy<Value = f64> {
    (-100_000i32..100_000).prop_map(|x| f64::from(x) / 64.0)
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap_or_default())
}

fn sampling() -> impl Strategy<Value = Sampling> {
    (
        (0u32..40).prop_map(|t| t as f32 / 8.0),
        0i32..100,
        any::<u32>(),
        1u32..4096,
        proptest::collection::vec("[a-z\n]{1,4}", 0..3),
        proptest::option::of(".{0,20}"),
    )
        .prop_map(
            |(temperature, top_k, seed, max_tokens, stop, grammar)| Sampling {
                temperature,
                top_k,
                seed,
                max_tokens,
                stop,
                grammar,
                ..Sampling::default()
            },
        )
}

fn reply_record() -> impl Strategy<Value = ReplyRecord> {
    (
        sampling(),
        any::<bool>(),
        proptest::option::of(".{0,30}"),
        proptest::option::of(("\\PC{0,10}", ".{0,10}", ".{0,10}")),
        (dyadic(), any::<u32>(), proptest::option::of(1u32..64)),
    )
        .prop_map(|(sampling, raw, prompt, setup, (f, n, threads))| {
            let mut r = record(0);
            r.sampling = sampling;
            r.mode = if raw {
                PromptMode::Raw
            } else {
                PromptMode::Chat
            };
            r.prompt = prompt.map(Prompt::Raw);
            r.setup = setup.map(|(t, i, o)| PromptSetup {
                template: Some(t),
                template_text: None,
                variables: BTreeMap::from([("x".to_string(), i.clone())]),
                shots: vec![Shot {
                    input: i,
                    output: o,
                }],
                selection: Some("first".into()),
            });
            r.stats.gen_tps = f;
            r.stats.prompt_tokens = n;
            r.engine.threads = threads;
            r
        })
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![Just(Role::System), Just(Role::User), Just(Role::Assistant)],
        any::<String>(),
        proptest::option::of(time()),
        proptest::option::of(reply_record()),
        proptest::collection::vec(any::<String>(), 0..2),
    )
        .prop_map(|(role, content, at, reply, rejected)| Message {
            role,
            content,
            at,
            reply: reply.map(Box::new),
            rejected,
            versions: None,
        })
}

fn run() -> impl Strategy<Value = Run> {
    (
        ".{0,12}",
        proptest::option::of(any::<String>()),
        proptest::collection::btree_map("[a-z_]{1,8}", dyadic(), 0..3),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(label, output, figures, data)| {
            let mut r = Run::new(label);
            r.output = output;
            r.figures = figures;
            r.data = data.map_or(serde_json::Value::Null, |d| serde_json::json!({ "n": d }));
            r
        })
}

fn session() -> impl Strategy<Value = Session> {
    (
        "[a-z0-9-]{1,24}",
        proptest::option::of(any::<String>()),
        prop_oneof![
            Just(SessionKind::Chat),
            Just(SessionKind::Compare),
            Just(SessionKind::Eval)
        ],
        (time(), time()),
        proptest::collection::vec(message(), 0..6),
        proptest::collection::vec(run(), 0..3),
        proptest::option::of(".{0,10}"),
    )
        .prop_map(|(id, title, kind, (c, u), messages, runs, hint)| {
            let mut s = Session::new(kind);
            s.id = id;
            s.title = title;
            s.created_at = c;
            s.updated_at = u;
            s.messages = messages;
            s.runs = runs;
            s.model_hint = hint;
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn session_format_round_trips(s in session()) {
        let bytes = encode(&s);
        let back = decode(Path::new("/x/y.json"), &bytes).unwrap();
        prop_assert_eq!(back.from_version, 1);
        prop_assert_eq!(back.session, s);
    }
}
