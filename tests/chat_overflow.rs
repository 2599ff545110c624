//! Long chats end to end: `howdah bench --chat` (its JSON shape, and the overflow target on
//! SmolLM2 with -c 512), `replay --check` of a session that overflowed under each policy, and
//! how often a shifted greedy reply equals the re-decoded one.

mod cli_support;
mod common;

use cli_support::{data_with_models, output_at, text};
use howdah::engine::{ChatMessage, ContextOverflow, Engine, EngineSettings, Role, Sampling};
use howdah::session::record::{model_ref, reply_record, ReplyInput};
use howdah::session::replay::prompt_for;
use howdah::session::{Message, PromptMode, SessionKind, Store};

#[test]
fn bench_chat_json_has_one_row_per_turn_and_decodes_only_new_tokens_after_overflow() {
    let data = data_with_models();
    let o = output_at(
        data.path(),
        &[
            "bench",
            "-m",
            common::SMOLLM2,
            "-c",
            "512",
            "-t",
            "2",
            "--chat",
            "12",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let turns = v["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 12);
    for (i, t) in turns.iter().enumerate() {
        assert_eq!(t["turn"], i + 1);
        for key in ["ttft_ms", "decoded", "ctx_used", "dropped"] {
            assert!(t[key].is_number(), "turn {}: {key} in {t}", i + 1);
        }
        assert!(t["ctx_used"].as_u64().unwrap() <= 512);
    }
    let first = turns
        .iter()
        .position(|t| t["dropped"].as_u64().unwrap() > 0)
        .expect("a -c 512 chat of 12 turns overflows");
    assert!(first >= 2, "it overflowed at once: {turns:?}");
    for t in &turns[first..] {
        let decoded = t["decoded"].as_u64().unwrap();
        let new = t["new_tokens"].as_u64().unwrap();
        assert!(decoded <= 2 * new, "decoded {decoded} for {new} new: {t}");
        assert_eq!(t["overflow"], "shift", "{t}");
    }
    // The text table says the same in rows.
    let o = output_at(
        data.path(),
        &[
            "bench",
            "-m",
            common::SMOLLM2,
            "-c",
            "512",
            "-t",
            "2",
            "--chat",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("| turn | ttft ms |"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("| ")).count(), 3);
}

const SYSTEM: &str = "You are a helpful assistant.";

fn question(turn: usize) -> String {
    let topics = [
        "why leaves change colour in autumn",
        "how a refrigerator keeps food cold",
        "what a compiler does with source code",
        "how tides are caused by the moon",
        "why cats purr",
    ];
    format!(
        "Question {turn}: tell me {} in a few sentences.",
        topics[(turn - 1) % topics.len()]
    )
}

/// Records a chat on one engine (as the chat screen does: one process, the cache kept) until
/// it has overflowed twice; returns the session id.
fn record(store: &Store, policy: ContextOverflow) -> String {
    let engine = Engine::spawn().unwrap();
    let asked = EngineSettings {
        threads: Some(2),
        n_ctx: Some(512),
        context_overflow: policy,
        ..EngineSettings::default()
    };
    let info = engine.load(common::smollm2(), asked.clone()).unwrap();
    let mref = model_ref(&info);
    let sampling = Sampling {
        max_tokens: 40,
        ..Sampling::greedy()
    };
    let mut chat = store.create_new(SessionKind::Chat).unwrap();
    chat.push(Message::new(Role::System, SYSTEM)).unwrap();
    let mut overflows = 0;
    for t in 1..=30 {
        chat.push(Message::new(Role::User, question(t))).unwrap();
        let prompt = prompt_for(&chat.session.messages, PromptMode::Chat);
        let done = match engine.generate_one(prompt, sampling.clone(), |_| {}) {
            Ok(d) => d,
            Err(e) => {
                assert_eq!(policy, ContextOverflow::Stop, "{e}");
                break;
            }
        };
        if done.dropped_messages > 0 {
            overflows += 1;
        }
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
        if overflows == 2 {
            break;
        }
    }
    if policy != ContextOverflow::Stop {
        assert_eq!(overflows, 2, "the chat should overflow");
    }
    chat.session.id.clone()
}

#[test]
fn replay_check_reproduces_an_overflowed_chat_under_each_policy() {
    let data = data_with_models();
    let store = Store::new(data.path().join("sessions"));
    for policy in [
        ContextOverflow::Shift,
        ContextOverflow::Redecode,
        ContextOverflow::Stop,
    ] {
        let id = record(&store, policy);
        let saved = store.open(&id).unwrap().session;
        let replies: Vec<_> = saved
            .messages
            .iter()
            .filter_map(|m| m.reply.as_deref())
            .collect();
        assert!(replies.len() >= 3);
        // The policy is recorded with every reply, so the replay uses the same one.
        assert!(replies.iter().all(|r| r.engine.context_overflow == policy));
        if policy != ContextOverflow::Stop {
            assert!(replies.last().unwrap().stats.dropped_messages > 0);
        }
        let o = output_at(data.path(), &["replay", &id, "--check", "-t", "2"]);
        assert!(
            o.status.success(),
            "{policy:?}: {}\n{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}

/// One greedy turn of the fixed conversation: messages dropped, reply text, reply tokens.
type Played = (u32, String, Vec<i32>);

#[test]
fn shifted_greedy_replies_mostly_equal_re_decoded_ones() {
    // One fixed conversation (scripted replies, so both engines see the same history), each
    // turn answered greedily by a shifting and a re-decoding engine; the turns before the
    // overflow must agree exactly, and the figure after it is printed per turn: whether the
    // replies are identical and, where not, the first token where they part.
    let run = |policy| {
        let engine = Engine::spawn().unwrap();
        engine
            .load(
                common::smollm2(),
                EngineSettings {
                    threads: Some(2),
                    n_ctx: Some(512),
                    context_overflow: policy,
                    ..EngineSettings::default()
                },
            )
            .unwrap();
        let mut messages = vec![ChatMessage::system(SYSTEM)];
        let mut out: Vec<Played> = Vec::new();
        for t in 1..=TURNS {
            messages.push(ChatMessage::user(question(t)));
            let mut tokens = Vec::new();
            let d = engine
                .generate_one(
                    howdah::engine::Prompt::Chat(messages.clone()),
                    Sampling {
                        max_tokens: 24,
                        ..Sampling::greedy()
                    },
                    |tok| {
                        if tok.token_id >= 0 {
                            tokens.push(tok.token_id);
                        }
                    },
                )
                .unwrap();
            out.push((d.dropped_messages, d.text, tokens));
            messages.push(ChatMessage::assistant(format!(
                "Here is a short answer to question {t}. It is a fine question and the answer takes a few sentences to give."
            )));
        }
        out
    };
    let shifted = run(ContextOverflow::Shift);
    let redecoded = run(ContextOverflow::Redecode);
    let first = shifted
        .iter()
        .position(|(d, ..)| *d > 0)
        .expect("the conversation overflows");
    assert!(first >= 2, "it overflowed at once");
    for t in 0..first {
        assert_eq!(shifted[t], redecoded[t], "turn {} (before overflow)", t + 1);
    }
    eprintln!("| turn | dropped | identical | first differing token |\n|---:|---:|---|---:|");
    let mut same = 0;
    let mut first_divergence: Option<(usize, usize)> = None;
    for t in first..TURNS {
        let (s, r) = (&shifted[t], &redecoded[t]);
        // Both engines drop the same messages: the policy changes how, not what.
        assert_eq!(s.0, r.0, "turn {}: dropped", t + 1);
        let part =
            s.2.iter()
                .zip(&r.2)
                .position(|(a, b)| a != b)
                .or((s.2.len() != r.2.len()).then(|| s.2.len().min(r.2.len())));
        match part {
            None => {
                assert_eq!(s.1, r.1, "turn {}: same tokens, same text", t + 1);
                same += 1;
            }
            Some(p) => {
                first_divergence.get_or_insert((t + 1, p));
            }
        }
        eprintln!(
            "| {} | {} | {} | {} |",
            t + 1,
            s.0,
            if part.is_none() { "yes" } else { "no" },
            part.map_or("-".into(), |p| (p + 1).to_string())
        );
    }
    eprintln!(
        "shift vs redecode: {same} of {} greedy replies after the overflow (turn {}) are identical; first divergence: {}",
        TURNS - first,
        first + 1,
        first_divergence.map_or("none".into(), |(t, p)| format!("turn {t}, token {}", p + 1))
    );
}

/// Turns of the fixed conversation (it overflows -c 512 after a few).
const TURNS: usize = 16;
