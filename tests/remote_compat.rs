//! The OpenAI-compatible and Ollama code paths against one real llama-server (SmolLM2, started
//! once for this file): the `openai` kind forced onto llama-server's `/v1` endpoints (chats
//! stream with log-probabilities, greedy text equals the local engine's, eval by generation,
//! what label scoring says without prompt log-probabilities), and an Ollama stand-in
//! (tests/remote_support/ollama.rs) passing generations through to the same server
//! (detection, model list, chat streaming, cancel, errors).

mod cli_support;
mod common;
mod remote_support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::{data, ok, output_in, write_config};
use common::{model, SMOLLM2};
use howdah::engine::remote::{list_models, Backend, Kind};
use howdah::engine::{
    ChatMessage, DoneStats, Engine, EngineSettings, Prompt, Request, Sampling, StopReason,
    TokenEvent, Variant,
};
use remote_support::ollama::{self, Ollama};
use remote_support::Server;
use serde_json::Value;

/// Streams one chat reply; `cancel_after` tokens, if given, cancels it.
fn stream_chat(
    engine: &Engine,
    text: &str,
    max_tokens: u32,
    cancel_after: Option<usize>,
) -> (Vec<TokenEvent>, DoneStats) {
    let (tx, rx) = mpsc::channel();
    let id = engine.submit(
        Request::Generate {
            variants: vec![Variant {
                prompt: Prompt::Chat(vec![ChatMessage::user(text)]),
                sampling: Sampling {
                    max_tokens,
                    ..Sampling::greedy()
                },
            }],
        },
        tx,
    );
    remote_support::collect_reply(&rx, Duration::from_secs(120), |n| {
        if Some(n) == cancel_after {
            engine.cancel(id);
        }
    })
}

#[test]
fn openai_and_ollama_protocols_against_one_llama_server() {
    let server = Server::start(&model(SMOLLM2), 1, &[]);
    openai_kind_on_llama_server(&server);
    ollama_stand_in(&server);
}

fn openai_kind_on_llama_server(server: &Server) {
    let backend = Backend {
        kind: Some(Kind::Openai),
        ..Backend::new(&server.url)
    };
    let engine = Engine::spawn_remote(backend).expect("connects");
    let info = engine.load("", EngineSettings::default()).expect("selects");
    assert_eq!(info.backend.as_ref().unwrap().kind, Kind::Openai);

    // A chat streams token by token with the heat-map's data, and greedy it says what the
    // local engine says.
    let ask = "Name three fruits.";
    let (tokens, done) = stream_chat(&engine, ask, 24, None);
    assert!(tokens.len() >= 3, "a streamed reply: {tokens:?}");
    let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(joined, done.text);
    for t in &tokens {
        assert!(t.logprob.is_finite() && t.logprob <= 0.0, "{t:?}");
        assert!(!t.top.is_empty(), "{t:?}");
        assert!(t.top.iter().all(|a| a.prob > 0.0 && a.prob <= 1.0), "{t:?}");
    }
    assert!(done.mean_logprob.is_finite(), "{done:?}");
    let (local, _) = common::engine(model(SMOLLM2));
    let want = local
        .generate_one(
            Prompt::Chat(vec![ChatMessage::user(ask)]),
            Sampling {
                max_tokens: 24,
                ..Sampling::greedy()
            },
            |_| {},
        )
        .unwrap();
    remote_support::greedy::assert_same_greedy(&tokens, &want.text, "greedy chat");

    // The command line, with the kind forced in config.toml.
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "[backends.oai]\nurl = \"{}/v1\"\nkind = \"openai\"\n",
        server.url
    );
    let h = |args: &[&str]| {
        write_config(home.path(), &config);
        output_in(home.path(), args)
    };
    // "1, 2, 3, 4, 5,": every greedy choice is clear (checked below), so the two llama.cpp
    // builds must agree on all of it; "The three primary colors are" parted at a near tie
    // ("* Red (R): the" vs "The").
    let common = ["--raw", "-p", "1, 2, 3, 4, 5,", "--temp", "0"];
    let common = [&common[..], &["-n", "24", "--no-save"]].concat();
    let local = ok(&h(&[
        &[
            "run",
            "-m",
            model(SMOLLM2).to_str().unwrap(),
            "-t",
            "2",
            "--json",
        ],
        &common[..],
    ]
    .concat()));
    let local: Value = serde_json::from_str(&local).unwrap();
    let sure = local["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["logprob"].as_f64().unwrap().exp())
        .fold(1.0, f64::min);
    // Above 0.5 the chosen token outweighs all others together. SmolLM2 is less sure of itself
    // than Gemma (least p 0.53 here, 0.76 for Gemma in remote_llama_server, which asks 0.6).
    assert!(
        sure > 0.5,
        "a near tie in the local greedy run (p {sure:.2})"
    );
    let local = local["text"].as_str().unwrap();
    let remote = ok(&h(
        &[&["run", "--backend", "oai", "--json"], &common[..]].concat()
    ));
    let remote: Value = serde_json::from_str(&remote).unwrap();
    let remote = remote["text"].as_str().unwrap();
    assert!(local.trim().len() > 10, "{local:?}");
    assert_eq!(remote, local, "greedy /v1/completions text vs local engine");

    // eval by generation works and predicts what the local engine predicts.
    let data = data("sentiment-12.csv");
    let eval = |extra: &[&str], method: &str, preds: &Path| {
        let p = preds.to_str().unwrap().to_string();
        h(&[
            &[
                "eval",
                "sentiment",
                "--data",
                data.to_str().unwrap(),
                "--limit",
                "4",
                "--method",
                method,
                "--format",
                "json",
                "--no-save",
                "--predictions",
                &p,
            ][..],
            extra,
        ]
        .concat())
    };
    let column = |path: &Path| -> Vec<String> {
        let mut r = csv::Reader::from_path(path).unwrap();
        let at = r.headers().unwrap().iter().position(|h| h == "predicted");
        r.records()
            .map(|rec| rec.unwrap()[at.unwrap()].to_string())
            .collect()
    };
    let (lp, rp) = (home.path().join("l.csv"), home.path().join("r.csv"));
    let l = eval(
        &["-m", model(SMOLLM2).to_str().unwrap(), "-t", "2"],
        "generate",
        &lp,
    );
    let r = eval(&["--backend", "oai"], "generate", &rp);
    let v: Value = serde_json::from_str(&ok(&r)).unwrap();
    ok(&l);
    for x in v["variants"].as_array().unwrap() {
        assert_eq!(x["method"], "generate", "{x}");
        assert_eq!(x["errors"], 0, "{x}");
        assert_eq!(x["rows"], 4, "{x}");
    }
    // Greedy answers agree but for numerics (the server batches other sizes): nearly all.
    let (l, r) = (column(&lp), column(&rp));
    assert_eq!(l.len(), r.len());
    let same = l.iter().zip(&r).filter(|(a, b)| a == b).count();
    eprintln!(
        "eval --method generate: {same} of {} predictions equal local",
        l.len()
    );
    assert!(same + 2 >= l.len(), "server {r:?}\nlocal {l:?}");

    // Label scoring needs prompt log-probabilities, which llama-server's /v1 does not echo:
    // every row says so and what to use instead.
    let s = eval(&["--backend", "oai"], "score", &rp);
    assert!(!s.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&s.stdout),
        std::fs::read_to_string(&rp).unwrap_or_default()
    );
    assert!(
        said.contains("prompt log-probabilities") && said.contains("--method generate"),
        "{said}\n{}",
        String::from_utf8_lossy(&s.stderr)
    );
}

fn ollama_stand_in(server: &Server) {
    let o = Ollama::start(server.port);
    // Detected by its /api/tags; the model listed by Ollama's name, with /api/show's facts and
    // /api/version's version.
    let models = list_models(&Backend::new(&o.url)).expect("lists");
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0].file_name, ollama::MODEL);
    assert_eq!(models[0].context_trained as u64, ollama::CONTEXT_LENGTH);
    assert_eq!(models[0].quantization, "Q4_1");
    let b = models[0].backend.as_ref().unwrap();
    assert_eq!(b.kind, Kind::Ollama);
    assert_eq!(
        b.build.as_deref(),
        Some(format!("ollama {}", ollama::VERSION).as_str())
    );

    let engine = Engine::spawn_remote(Backend::new(&o.url)).expect("connects");
    // A model it does not have: named, with what it has.
    let e = engine
        .load("llama3.1:8b", EngineSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"llama3.1:8b\" is not loaded") && e.contains(ollama::MODEL),
        "{e}"
    );
    let info = engine
        .load(ollama::MODEL, EngineSettings::default())
        .unwrap();
    assert_eq!(info.file_name, ollama::MODEL);

    // A chat streams; without log-probabilities every token says so (NaN), and the text is
    // the real model's.
    let (tokens, done) = stream_chat(&engine, "Name three fruits.", 16, None);
    assert!(tokens.len() >= 2, "{tokens:?}");
    assert!(tokens.iter().all(|t| t.logprob.is_nan()), "{tokens:?}");
    let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(joined, done.text);
    assert!(done.text.trim().len() > 3, "{done:?}");

    // Cancel closes the stream: the stand-in sees its client go, the reply ends cancelled.
    let (_, done) = stream_chat(
        &engine,
        "Count from one to two hundred in words.",
        400,
        Some(2),
    );
    assert_eq!(done.stop, StopReason::Cancelled, "{done:?}");
    let until = Instant::now() + Duration::from_secs(10);
    while !o.state.client_left.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        o.state.client_left.load(Ordering::SeqCst),
        "the stream was not closed on cancel"
    );

    // The model removed on the server (`ollama rm`) after it was selected: Ollama's own
    // message, and the model list says it has none.
    o.state.removed.store(true, Ordering::SeqCst);
    let e = engine
        .generate_one(
            Prompt::Chat(vec![ChatMessage::user("Hi")]),
            Sampling::greedy(),
            |_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("not found, try pulling it first"), "{e}");
    let e = engine
        .load("", EngineSettings::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("has no model loaded"), "{e}");
}
