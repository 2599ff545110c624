//! End to end: the real binary in a real terminal (tmux) with the real SmolLM2 model. Types a
//! question and waits for the streamed answer, regenerates, stops a long reply with esc, opens
//! the help, quits, and checks the terminal was given back (prompt visible, not in raw mode);
//! then ends a second run with SIGTERM and checks the same.

mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;

use tmux::Tmux;

const PROMPT: &str = "E2E-PROMPT$";

fn model() -> PathBuf {
    let p = howdah::paths::models_dir().join(howdah::paths::DEFAULT_MODEL);
    assert!(p.is_file(), "{} is missing: run `make models`", p.display());
    p
}

/// Every saved session file's text, in name order: changes when a reply is saved.
fn sessions_text(data: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(data.join("sessions"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

fn start_howdah(t: &Tmux, data: &Path, config: &Path, model: &Path) {
    let cmd = format!(
        "HOWDAH_DATA_DIR={} HOWDAH_CONFIG_DIR={} {} -m {}",
        data.display(),
        config.display(),
        env!("CARGO_BIN_EXE_howdah"),
        model.display()
    );
    t.text(&cmd);
    t.keys(&["Enter"]);
    t.wait_for("the model to load", |s| s.contains("● ready"));
}

fn assistant_headers(s: &str) -> usize {
    s.matches("▌ Assistant").count()
}

#[test]
fn chat_in_a_real_terminal() {
    let model = model();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = (dir.path().join("data"), dir.path().join("config"));
    std::fs::create_dir_all(&config).unwrap();
    // Short greedy replies keep the test quick on a slow machine; this also exercises the config
    // file and user presets.
    // …and a bad key binding, which must be reported on screen while the app carries on.
    std::fs::write(
        config.join("config.toml"),
        "preset = \"e2e\"\n[keys.global]\nfly = \"f2\"\n",
    )
    .unwrap();
    std::fs::write(
        config.join("presets.toml"),
        "[presets.e2e]\ntemperature = 0.0\nmax_tokens = 24\n\n[presets.long]\ntemperature = 0.0\nmax_tokens = 400\n",
    )
    .unwrap();
    let t = Tmux::start("howdah-e2e", PROMPT, 100, 30);
    t.wait_for("the shell", |s| s.contains(PROMPT));
    start_howdah(&t, &data, &config, &model);
    t.wait_for("the config warning", |s| {
        s.contains("line 3: [keys.global] `fly`: no such action")
    });

    // A question, answered token by token.
    t.text("What is the capital of France?");
    t.keys(&["Enter"]);
    let s = t.wait_for("a finished reply", |s| {
        s.contains("tok/s · first token") && s.contains("● ready")
    });
    assert!(s.contains("What is the capital of France?"));
    assert_eq!(assistant_headers(&s), 1);
    let reply: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("▌ Assistant"))
        .skip(1)
        .take(2)
        .collect();
    assert!(
        reply
            .iter()
            .any(|l| l.split('│').next_back().is_some_and(|x| x.trim().len() > 1)),
        "no reply text:\n{s}"
    );

    // Regenerate: the reply is replaced, not added. A short greedy reply can come and go
    // between two screen captures, so the saved session (rewritten with the new reply's
    // record) tells that it happened, as well as the screen's generating state.
    let saved = sessions_text(&data);
    t.keys(&["C-r"]);
    t.wait_for("the regenerated reply to start", |s| {
        s.contains("generating") || s.contains("◌") || sessions_text(&data) != saved
    });
    let s = t.wait_for("the regenerated reply", |s| {
        s.contains("tok/s · first token") && s.contains("● ready") && sessions_text(&data) != saved
    });
    assert_eq!(
        assistant_headers(&s),
        1,
        "regenerate must replace the reply:\n{s}"
    );

    // A long reply (preset "long" through the settings panel), stopped with esc.
    t.keys(&["C-s"]);
    t.wait_for("the settings panel", |s| s.contains("Sampling settings"));
    // The list is precise, balanced, creative, e2e, long: one step from e2e.
    t.keys(&["Right"]);
    t.wait_for("the long preset", |s| s.contains("◀ long (saved) ▶"));
    t.keys(&["Escape"]);
    // Typing right after esc would read as alt+key: wait for the panel to close first.
    t.wait_for("the settings to close", |s| {
        !s.contains("Sampling settings")
    });
    t.text("Write a very long story about a dragon and a knight.");
    t.keys(&["Enter"]);
    t.wait_for("the long reply to stream", |s| {
        s.contains("generating…")
            && s.lines()
                .skip_while(|l| !l.contains("generating…"))
                .nth(1)
                .is_some_and(|l| l.split('│').next_back().is_some_and(|x| x.trim().len() > 3))
    });
    t.keys(&["Escape"]);
    let s = t.wait_for("the reply to stop", |s| {
        s.contains("· stopped") && s.contains("● ready")
    });
    assert_eq!(assistant_headers(&s), 2);

    // Help.
    t.text("?");
    t.wait_for("the help overlay", |s| {
        s.contains("Key bindings") && s.contains("Regenerate the last reply")
    });
    t.keys(&["Escape"]);
    t.wait_for("the help to close", |s| !s.contains("Key bindings"));

    // Quit, and the terminal is back.
    t.keys(&["C-q"]);
    let stty = dir.path().join("stty.txt");
    t.assert_restored(&stty);

    // SIGTERM also gives the terminal back.
    start_howdah(&t, &data, &config, &model);
    let shell = t.pane_pid();
    let children =
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
    let pid: u32 = children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("howdah's pid");
    assert!(Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    t.assert_restored(&stty);
}
