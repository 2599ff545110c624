//! A real terminal for end-to-end tests: a private tmux server running a plain bash, driven
//! with send-keys and read with capture-pane, killed when the value is dropped.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Generous: the test machine may be shared and slow.
pub const WAIT: Duration = Duration::from_secs(300);

pub struct Tmux {
    socket: String,
    prompt: String,
}

impl Tmux {
    /// A `width`×`height` session on its own socket (`name` plus the process id), whose shell
    /// shows `prompt` so the tests can tell when it has the terminal back.
    pub fn start(name: &str, prompt: &str, width: u16, height: u16) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        if !version.map(|o| o.status.success()).unwrap_or(false) {
            panic!("tmux is required for the end-to-end tests: install it (`make test` does, through scripts/install-deps.sh --test)");
        }
        let t = Tmux {
            socket: format!("{name}-{}", std::process::id()),
            prompt: prompt.to_string(),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let ok = Command::new("tmux")
            .args(["-L", &t.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-s", "e2e", "-x", &w, "-y", &h])
            .args(["env", &format!("PS1={prompt} "), "bash", "--norc"])
            .arg("--noprofile")
            .status()
            .expect("tmux new-session");
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        assert!(out.status.success(), "tmux {args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Key names as tmux knows them: "Enter", "C-r", "Escape"…
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Literal text, typed.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
    }

    /// Text pasted as a terminal paste (bracketed, when the application asked for that).
    pub fn paste(&self, text: &str) {
        // Through a file: tmux refuses commands much longer than a few kB.
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), text).expect("paste file");
        let path = file.path().to_string_lossy().into_owned();
        self.tmux(&["load-buffer", "-b", "e2e-paste", &path]);
        self.tmux(&["paste-buffer", "-p", "-d", "-b", "e2e-paste", "-t", "e2e"]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Polls the screen until `pred` holds; panics with the screen after `WAIT`.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {what}; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the shell's prompt is the last line on the screen.
    pub fn wait_for_prompt(&self) -> String {
        self.wait_for("the shell prompt", |s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim_end() == self.prompt)
        })
    }

    pub fn pane_pid(&self) -> u32 {
        self.tmux(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pane pid")
    }

    /// Checks the shell prompt is back and the terminal is not in raw mode: `stty -a` in the
    /// pane, written to `out`, which the test reads.
    pub fn assert_restored(&self, out: &Path) {
        self.wait_for_prompt();
        let _ = std::fs::remove_file(out);
        self.text(&format!(
            "stty -a > {}.tmp && mv {0}.tmp {0}",
            out.display()
        ));
        self.keys(&["Enter"]);
        let start = Instant::now();
        while !out.exists() {
            assert!(
                start.elapsed() < WAIT,
                "stty did not run:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let stty = std::fs::read_to_string(out).unwrap();
        let words: Vec<&str> = stty
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        assert!(
            words.contains(&"icanon") && !words.contains(&"-icanon"),
            "raw mode left on:\n{stty}"
        );
        assert!(
            words.contains(&"echo") && !words.contains(&"-echo"),
            "echo left off:\n{stty}"
        );
        self.keys(&["clear", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
