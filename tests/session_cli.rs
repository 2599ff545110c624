//! The real binary: `run` records sessions and continues them, `replay --check` passes on an
//! unchanged greedy or seeded session and fails when the model or the seed differs, and
//! `session export/import/list` work end to end. Uses the real SmolLM2 and Gemma models.

mod cli_support;
mod common;

use std::path::PathBuf;
use std::process::Output;

use cli_support::{ok, output_at, text};
use common::{gemma, smollm2 as smol};
use howdah::session::{read_file, Store};

/// The session path `run` announces on stderr.
fn saved_path(out: &Output) -> PathBuf {
    let err = text(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("howdah: session saved to "))
        .unwrap_or_else(|| panic!("no session path in stderr: {err}"));
    PathBuf::from(line.trim())
}

#[test]
fn greedy_session_replays_identically_and_another_model_is_caught() {
    let smol = smol();
    let gemma = gemma();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let s = smol.to_str().unwrap();
    let first = output_at(
        d,
        &[
            "run",
            "-m",
            s,
            "--temp",
            "0",
            "-n",
            "24",
            "-p",
            "Name three colors.",
        ],
    );
    ok(&first);
    let path = saved_path(&first);
    assert!(path.starts_with(d.join("sessions")), "{}", path.display());
    let p = path.to_str().unwrap();
    // Continue it: the recorded model and greedy sampling are reused.
    let second = output_at(d, &["run", "--session", p, "-p", "Now name three animals."]);
    ok(&second);
    assert_eq!(saved_path(&second), path);
    let session = read_file(&path).unwrap().session;
    assert_eq!(session.messages.len(), 4);
    let reply = session.messages[3].reply.as_deref().expect("reply record");
    assert_eq!(reply.model.file_name, "SmolLM2-135M-Instruct.Q4_1.gguf");
    assert_eq!(
        reply.model.sha256.as_deref(),
        Some(
            howdah::session::model_hash::sha256_file(&smol)
                .unwrap()
                .as_str()
        )
    );
    assert_eq!(reply.sampling.temperature, 0.0);
    assert_eq!(reply.sampling.max_tokens, 24);
    assert!(reply.engine.threads.is_some() && reply.engine.n_ctx.is_some());
    assert!(reply.stats.generated_tokens > 0);
    assert_eq!(
        session.messages[3].content.trim(),
        text(&second.stdout).trim()
    );

    let same = output_at(d, &["replay", p, "--check"]);
    ok(&same);
    let out = text(&same.stdout);
    assert!(out.contains("2 of 2 replies identical"), "{out}");

    // The id works as well as the path; another model diverges and --check exits 1.
    let id = session.id.as_str();
    let other = output_at(
        d,
        &[
            "replay",
            id,
            "--check",
            "-m",
            gemma.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(other.status.code(), Some(1), "{}", text(&other.stderr));
    let report: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    let turns = report["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert!(
        turns.iter().any(|t| t["outcome"]["result"] == "differs"),
        "{report:#}"
    );
    assert!(turns
        .iter()
        .all(|t| t["model"] == "gemma-3-270m-q4_k_m.gguf"));
    assert!(text(&other.stderr).contains("replay check failed"));
}

#[test]
fn seeded_session_replays_and_another_seed_diverges() {
    let smol = smol();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let run = output_at(
        d,
        &[
            "run",
            "-m",
            smol.to_str().unwrap(),
            "--temp",
            "1.2",
            "--top-k",
            "0",
            "--top-p",
            "1",
            "--min-p",
            "0",
            "-s",
            "1",
            "-n",
            "32",
            "-p",
            "Tell a short story about a dragon.",
        ],
    );
    ok(&run);
    let path = saved_path(&run);
    let p = path.to_str().unwrap();
    let same = output_at(d, &["replay", p, "--check"]);
    ok(&same);
    let reseeded = output_at(d, &["replay", p, "--check", "--seed", "2"]);
    assert_eq!(reseeded.status.code(), Some(1));
    let out = text(&reseeded.stdout);
    assert!(out.contains("turn 1: differs at token "), "{out}");
    assert!(
        out.contains("[-") && out.contains("{+"),
        "word diff expected: {out}"
    );
    assert!(out.contains("0 of 1 replies identical"), "{out}");
}

#[test]
fn no_save_writes_no_session() {
    let smol = smol();
    let data = tempfile::tempdir().unwrap();
    let out = output_at(
        data.path(),
        &[
            "run",
            "--no-save",
            "-m",
            smol.to_str().unwrap(),
            "--temp",
            "0",
            "-n",
            "4",
            "-p",
            "Hi",
        ],
    );
    ok(&out);
    assert!(!text(&out.stderr).contains("session saved"));
    assert!(Store::new(data.path().join("sessions"))
        .list()
        .unwrap()
        .is_empty());
}

#[test]
fn export_and_import_round_trip_through_the_cli() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let store = Store::new(d.join("sessions"));
    let mut s = howdah::session::Session::new(howdah::session::SessionKind::Chat);
    use howdah::engine::Role;
    use howdah::session::Message;
    s.messages
        .push(Message::new(Role::User, "Write hello world in Rust"));
    s.messages.push(Message::new(
        Role::Assistant,
        "Sure:\n```rust\nfn main() { println!(\"hello\"); }\n```",
    ));
    let f = store.create(s).unwrap();
    let id = f.session.id.clone();

    let json_out = d.join("out.json");
    ok(&output_at(
        d,
        &[
            "session",
            "export",
            &id,
            "--format",
            "json",
            "-o",
            json_out.to_str().unwrap(),
        ],
    ));
    let imported = output_at(d, &["session", "import", json_out.to_str().unwrap()]);
    ok(&imported);
    let new_path = PathBuf::from(text(&imported.stdout).trim());
    let back = read_file(&new_path).unwrap().session;
    assert_ne!(back.id, id);
    let pairs = |s: &howdah::session::Session| {
        s.messages
            .iter()
            .map(|m| (m.role, m.content.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&back), pairs(&f.session));

    let md = output_at(d, &["session", "export", &back.id, "--format", "md"]);
    ok(&md);
    let md = text(&md.stdout);
    assert!(md.contains("# Write hello world in Rust"), "{md}");
    assert!(
        md.contains("```rust\nfn main() { println!(\"hello\"); }\n```"),
        "{md}"
    );

    // A llama.cpp web UI export (array form) becomes one session per conversation.
    let webui = d.join("webui.json");
    std::fs::write(
        &webui,
        r#"[{"conv":{"id":"c","name":"From the web UI","lastModified":1735000000000,"currNode":"b"},
             "messages":[{"id":"r","convId":"c","type":"root","timestamp":1,"role":"system","content":"","parent":null,"children":["a"]},
                         {"id":"a","convId":"c","type":"text","timestamp":2,"role":"user","content":"2+2?","parent":"r","children":["b"]},
                         {"id":"b","convId":"c","type":"text","timestamp":3,"role":"assistant","content":"4","parent":"a","children":[]}]}]"#,
    )
    .unwrap();
    ok(&output_at(
        d,
        &["session", "import", webui.to_str().unwrap()],
    ));
    std::fs::write(
        d.join("sessions/broken.json"),
        b"{\"schema_version\": 1, \"id\"",
    )
    .unwrap();
    let list = output_at(d, &["session", "list"]);
    ok(&list);
    let out = text(&list.stdout);
    assert!(out.contains("From the web UI"), "{out}");
    assert!(
        out.contains("broken") && out.contains("UNREADABLE") && out.contains("cut off"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 4, "{out}");
    let unknown = output_at(d, &["session", "show", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no session 'nope'"));
}
