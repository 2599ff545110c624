//! llama.cpp's own `llama-server`, built once by scripts/llama-server.sh, started on a free
//! loopback port for a test; and a minimal HTTP/1.1 client to talk to it (the tests need no
//! more than a POST with a JSON body).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The llama.cpp folder (src/ with models/templates, bin/llama-server), building it if needed.
pub fn llama_cpp_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts/llama-server.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/llama-server.sh runs");
    assert!(
        out.status.success(),
        "scripts/llama-server.sh failed: llama-server is needed for this test"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Server {
    /// Starts llama-server with `model` and extra args; Err(log tail) when it exits or does
    /// not become healthy (a template llama.cpp cannot parse ends it at start-up).
    pub fn start(dir: &Path, model: &Path, extra: &[&str]) -> Result<Server, String> {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("howdah-llama-server-{port}.log"));
        let logf = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new(dir.join("bin/llama-server"))
            .args(["-m", &model.to_string_lossy()])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "-c",
                "512",
                "-np",
                "1",
                "-t",
                "1",
                "--no-webui",
                "--no-warmup",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .map_err(|e| format!("cannot start llama-server: {e}"))?;
        let mut s = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(format!("llama-server exited ({status}): {}", s.log_tail()));
            }
            if let Ok((200, _)) = s.request("GET", "/health", None) {
                return Ok(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "llama-server did not become healthy: {}",
            s.log_tail()
        ))
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(6).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// One request; returns the status code and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = body.unwrap_or("");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let code = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        Ok((code, body))
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
