//! A llama.cpp abort (SIGABRT) cannot unwind, so the TUI's terminal guard never drops: the signal
//! handler must give the terminal back (main screen, no mouse tracking, cooked mode) before the
//! default action ends the process, with the usual exit status.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(socket: &str, args: &[&str]) -> String {
    let o = Command::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .output()
        .expect("tmux runs (scripts/install-deps.sh --test installs it)");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn sigabrt_in_the_tui_restores_the_terminal() {
    let d = tempfile::tempdir().unwrap();
    let socket = format!("howdah-abort-{}", std::process::id());
    let cmd = format!(
        "HOWDAH_DATA_DIR={dir} HOWDAH_CONFIG_DIR={dir}/config {bin} -m {model} -t 2; echo EXITED $?; stty -a; sleep 60",
        dir = d.path().display(),
        bin = env!("CARGO_BIN_EXE_howdah"),
        model = common::smollm2().display()
    );
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "40",
            &cmd,
        ],
    );
    let flag = |f: &str| tmux(&socket, &["display", "-p", "-t", "t", f]);
    wait_for("the alternate screen and mouse tracking", || {
        flag("#{alternate_on}") == "1" && flag("#{mouse_any_flag}") == "1"
    });
    let shell = flag("#{pane_pid}");
    let pid = String::from_utf8_lossy(
        &Command::new("pgrep")
            .args(["-P", &shell, "-x", "howdah"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string();
    assert!(!pid.is_empty(), "howdah runs in the pane");
    assert!(Command::new("kill")
        .args(["-ABRT", &pid])
        .status()
        .unwrap()
        .success());
    // Wait for `stty -a` too: it runs after the exit line, so the screen can show one without
    // the other for a moment.
    wait_for("the process to end and stty to report", || {
        let s = tmux(&socket, &["capture-pane", "-p", "-t", "t"]);
        s.contains("EXITED") && s.contains("icanon")
    });
    let screen = tmux(&socket, &["capture-pane", "-p", "-t", "t"]);
    let (alt, mouse) = (flag("#{alternate_on}"), flag("#{mouse_any_flag}"));
    tmux(&socket, &["kill-server"]);
    // The default action still happened: 128 + SIGABRT.
    assert!(screen.contains("EXITED 134"), "{screen}");
    assert_eq!((alt.as_str(), mouse.as_str()), ("0", "0"), "{screen}");
    // Cooked mode: line editing and echo are back on.
    assert!(
        screen.contains(" icanon") && screen.contains(" echo "),
        "{screen}"
    );
}
