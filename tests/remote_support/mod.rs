//! A real llama-server for remote-backend tests: built once by scripts/llama-server.sh, started
//! on 127.0.0.1 with a free port and a real model, stopped (killed) when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use howdah::engine::{DoneStats, Event, EventKind, TokenEvent};

/// The llama-server binary (the script builds it on first use, then reuses the cache).
pub fn llama_server_bin() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/llama-server.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/llama-server.sh runs");
    assert!(
        out.status.success(),
        "scripts/llama-server.sh failed: llama-server is needed for the remote-backend tests"
    );
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bin = PathBuf::from(dir).join("bin/llama-server");
    assert!(bin.is_file(), "{} is missing", bin.display());
    bin
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub url: String,
    model: PathBuf,
    args: Vec<String>,
}

impl Server {
    /// `model` served with `slots` parallel slots (2048 tokens each) and extra flags.
    pub fn start(model: &Path, slots: u32, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "-c".into(),
            (2048 * slots).to_string(),
            "-np".into(),
            slots.to_string(),
            "-t".into(),
            "2".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let port = free_port();
        let mut s = Server {
            child: None,
            port,
            url: format!("http://127.0.0.1:{port}"),
            model: model.to_path_buf(),
            args,
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        let log = std::env::temp_dir().join(format!("howdah-llama-server-{}.log", self.port));
        let log = std::fs::File::create(&log).expect("server log file");
        let child = Command::new(llama_server_bin())
            .arg("-m")
            .arg(&self.model)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("llama-server starts");
        self.child = Some(child);
        self.wait_ready();
    }

    /// Polls `/health` until the model is loaded (it answers 503 while loading).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/health", self.url);
        loop {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(2)))
                .http_status_as_error(false)
                .build()
                .into();
            if let Ok(r) = agent.get(&url).call() {
                if r.status() == 200 {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("llama-server exited while starting: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "llama-server did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port with the same model and flags.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The tokens and the final figures of one streamed reply, each event awaited at most `wait`;
/// `on_token` is told how many tokens have come after each (a test cancels at a count). Any
/// other event fails the test.
pub fn collect_reply(
    rx: &Receiver<Event>,
    wait: Duration,
    mut on_token: impl FnMut(usize),
) -> (Vec<TokenEvent>, DoneStats) {
    let mut tokens = Vec::new();
    let done = loop {
        let ev = rx.recv_timeout(wait).expect("events");
        match ev.kind {
            EventKind::Token(t) => {
                tokens.push(t);
                on_token(tokens.len());
            }
            EventKind::Done(d) => break d,
            other => panic!("unexpected {other:?}"),
        }
    };
    (tokens, done)
}

pub mod greedy;
pub mod ollama;
