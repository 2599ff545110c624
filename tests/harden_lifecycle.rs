//! Issue 10, lifecycle half, with the real models through the real binary: a closed pipe stops
//! `run` at once; ctrl+c in `eval` and `compare` reports and saves the partial work and a
//! second ctrl+c exits at once; a rename while `run --session` generates is kept.

mod cli_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cli_support::{command_in, gemma, smol, text};
use howdah::session::{read_file, Store};

/// howdah with private folders under `home`, its stdin closed and its output piped to the test.
fn cmd(home: &Path, args: &[&str]) -> Command {
    let mut c = command_in(home, args);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn sessions(home: &Path) -> Store {
    Store::new(home.join("data/sessions"))
}

/// Waits (bounded, so a hang fails instead of blocking CI) until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(120), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigint(child: &Child) {
    // SAFETY: sends a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
}

fn finish(child: Child) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    // Generous: the shared CI machine can be slow; this only keeps a hang from blocking.
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            // SAFETY: kills our own hung child so the test can report it.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("howdah did not end");
        }
    }
}

#[test]
fn run_into_a_closed_pipe_stops_generating_and_exits_quietly() {
    let home = tempfile::tempdir().unwrap();
    let mut child = cmd(
        home.path(),
        &[
            "run",
            "-m",
            &smol(),
            "-t",
            "2",
            "-n",
            "400",
            "-p",
            "Tell me a very long story about a dragon.",
        ],
    )
    .spawn()
    .unwrap();
    // `| head -c 20`: read 20 bytes, then close the pipe.
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 20];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let o = finish(child);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    // Stopped at once: the saved reply is far short of the 400 tokens asked for.
    let list = sessions(home.path()).list().unwrap();
    let s = read_file(&list[0].path).unwrap().session;
    let reply = s.messages.last().unwrap();
    let generated = reply.reply.as_ref().unwrap().stats.generated_tokens;
    assert!(
        generated < 100,
        "generated {generated} tokens after the pipe closed"
    );
}

fn big_data(dir: &Path, copies: usize) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sentiment/sentiment-120.csv");
    let text = std::fs::read_to_string(src).unwrap();
    let (head, body) = text.split_once('\n').unwrap();
    let mut out = format!("{head}\n");
    for _ in 0..copies {
        out.push_str(body);
    }
    let p = dir.join("big.csv");
    std::fs::write(&p, out).unwrap();
    p
}

fn eval_args<'a>(data: &'a str, pred: &'a str, m: &'a str) -> Vec<&'a str> {
    vec![
        "eval",
        "sentiment",
        "--data",
        data,
        "-m",
        m,
        "-t",
        "2",
        "--shots",
        "0,1",
        "--predictions",
        pred,
    ]
}

/// Started, with its eval session on disk and some rows scored.
fn started_eval(home: &Path) -> (Child, PathBuf) {
    let data = big_data(home, 20);
    let pred = home.join("pred.csv");
    let m = gemma();
    let child = cmd(
        home,
        &eval_args(data.to_str().unwrap(), pred.to_str().unwrap(), &m),
    )
    .spawn()
    .unwrap();
    wait_for("the eval session is created", || {
        sessions(home).list().is_ok_and(|l| !l.is_empty())
    });
    // Model loaded and scoring: give it a moment of real work.
    std::thread::sleep(Duration::from_secs(4));
    (child, pred)
}

#[test]
fn ctrl_c_in_eval_reports_saves_and_writes_the_rows_done() {
    let home = tempfile::tempdir().unwrap();
    let (child, pred) = started_eval(home.path());
    sigint(&child);
    let o = finish(child);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: partial results, rows done:"),
        "{err}"
    );
    assert!(err.contains("/2400"), "rows done per variant: {err}");
    assert!(
        out.contains("accuracy") || out.contains("Accuracy"),
        "{out}"
    );
    let rows = std::fs::read_to_string(&pred).expect("predictions written");
    let n = rows.lines().count() - 1;
    assert!(n > 0 && n < 4800, "{n} prediction rows");
    assert!(err.contains("session saved to"), "{err}");
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let home = tempfile::tempdir().unwrap();
    let (child, _) = started_eval(home.path());
    sigint(&child);
    sigint(&child);
    let o = finish(child);
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
}

#[test]
fn ctrl_c_in_compare_prints_the_partial_texts() {
    let home = tempfile::tempdir().unwrap();
    let m = smol();
    let child = cmd(
        home.path(),
        &[
            "compare",
            "summarize",
            "--input",
            "A long and winding review of a film that goes on and on.",
            "-m",
            &m,
            "-t",
            "2",
            "-n",
            "2000",
        ],
    )
    .spawn()
    .unwrap();
    // Whether it lands during the model load or the generation, the texts so far are shown.
    std::thread::sleep(Duration::from_millis(1500));
    sigint(&child);
    let o = finish(child);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(e.contains("interrupted"), "{e}");
    assert!(!o.stdout.is_empty(), "the partial report is printed");
}

#[test]
fn a_rename_while_run_session_generates_is_kept() {
    let home = tempfile::tempdir().unwrap();
    let first = cmd(
        home.path(),
        &["run", "-m", &smol(), "-t", "2", "-n", "4", "-p", "hi"],
    )
    .output()
    .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let store = sessions(home.path());
    let id = store.list().unwrap()[0].id.clone();
    let child = cmd(
        home.path(),
        &[
            "run",
            "-m",
            &smol(),
            "-t",
            "2",
            "-n",
            "24",
            "--session",
            &id,
            "-p",
            "Tell me a long story.",
        ],
    )
    .spawn()
    .unwrap();
    // The user turn is saved before generation starts: rename then.
    wait_for("the second user turn is saved", || {
        store.open(&id).is_ok_and(|f| f.session.messages.len() >= 3)
    });
    let r = command_in(home.path(), &["session", "rename", &id, "Renamed mid-run"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", text(&r.stderr));
    let o = finish(child);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = store.open(&id).unwrap().session;
    assert_eq!(s.title.as_deref(), Some("Renamed mid-run"));
    assert_eq!(s.messages.len(), 4, "the reply is saved too");
}

/// A saved chat of `turns` answered turns (one real reply, its turn repeated), for replay.
fn long_chat(home: &Path, turns: usize) -> String {
    let first = cmd(
        home,
        &[
            "run",
            "-m",
            &smol(),
            "-t",
            "2",
            "-n",
            "24",
            "-p",
            "Tell me a story about a dragon.",
        ],
    )
    .output()
    .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let store = sessions(home);
    let mut f = store.open(&store.list().unwrap()[0].id).unwrap();
    let n = f.session.messages.len();
    let turn = f.session.messages[n - 2..].to_vec();
    for _ in 1..turns {
        f.session.messages.extend(turn.iter().cloned());
    }
    f.save().unwrap();
    f.session.id.clone()
}

fn replay(home: &Path, id: &str) -> Child {
    cmd(home, &["replay", id, "-t", "2"]).spawn().unwrap()
}

#[test]
fn ctrl_c_in_replay_reports_the_turns_done() {
    let home = tempfile::tempdir().unwrap();
    let id = long_chat(home.path(), 6);
    let mut child = replay(home.path(), &id);
    // Wait for the first replayed turn on stdout, then interrupt.
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !text(&seen).contains("turn 1:") {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "replay ended before a turn: {}", text(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    sigint(&child);
    out.read_to_end(&mut seen).unwrap();
    let o = finish(child);
    let (out, err) = (text(&seen), text(&o.stderr));
    assert_eq!(o.status.code(), Some(130), "{err}");
    let done: usize = err
        .split("interrupted: ")
        .nth(1)
        .and_then(|s| s.split(" of 6 turns replayed").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count of turns done: {err}"));
    assert!((1..6).contains(&done), "{done} turns done: {err}");
    assert!(
        out.contains(&format!("of {done} replies identical")),
        "the partial report is printed: {out}"
    );
}

#[test]
fn a_second_ctrl_c_ends_replay_at_once() {
    let home = tempfile::tempdir().unwrap();
    let id = long_chat(home.path(), 6);
    let child = replay(home.path(), &id);
    // Loading or replaying: either way two signals end it at once (two signals sent this
    // close together may arrive as one, so whether a report was printed is not asserted).
    std::thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    sigint(&child);
    sigint(&child);
    let o = finish(child);
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}
