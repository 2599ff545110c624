//! A stand-in for Ollama on 127.0.0.1 (no Ollama binary can be installed here): it answers the
//! endpoints howdah uses as Ollama does (`/api/version`, `/api/tags`, `/api/show`, the
//! OpenAI-compatible `/v1` ones, both error shapes, a plain-text 404 for anything else),
//! passing generations through to a real llama-server, so every word of a reply is real. Like
//! Ollama versions before log-probability support, it gives no `logprobs`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

pub const MODEL: &str = "smollm2:135m";
pub const VERSION: &str = "0.9.6";
/// What `/api/show` reports as the model's trained context.
pub const CONTEXT_LENGTH: u64 = 8192;

#[derive(Default)]
pub struct State {
    /// Requests passed through to llama-server.
    pub proxied: AtomicUsize,
    /// A client closed a streamed answer before it ended (howdah's cancel).
    pub client_left: AtomicBool,
    /// The model was removed (`ollama rm`): requests for it get Ollama's 404.
    pub removed: AtomicBool,
}

pub struct Ollama {
    pub url: String,
    pub state: Arc<State>,
}

impl Ollama {
    /// Serves on a free port, passing generations through to the llama-server at `upstream`
    /// (its port).
    pub fn start(upstream: u16) -> Ollama {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &st);
                });
            }
        });
        Ollama { url, state }
    }
}

struct Req {
    method: String,
    path: String,
    body: Value,
}

fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Req>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok(Some(Req { method, path, body }))
}

fn respond(w: &mut TcpStream, status: u16, ctype: &str, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Error",
    };
    write!(
        w,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn json_reply(w: &mut TcpStream, status: u16, v: &Value) -> std::io::Result<()> {
    respond(w, status, "application/json; charset=utf-8", &v.to_string())
}

fn serve(conn: TcpStream, upstream: u16, st: &State) -> std::io::Result<()> {
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    let Some(req) = read_request(&mut r)? else {
        return Ok(());
    };
    let named = req.body["model"].as_str().unwrap_or("").to_string();
    let known = named == MODEL && !st.removed.load(Ordering::SeqCst);
    // Ollama's two error shapes: its own API's and the OpenAI-compatible one's.
    let not_found = format!("model \"{named}\" not found, try pulling it first");
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/api/version") => json_reply(&mut w, 200, &json!({ "version": VERSION })),
        ("GET", "/api/tags") => {
            let models = if st.removed.load(Ordering::SeqCst) {
                json!([])
            } else {
                json!([{
                    "name": MODEL, "model": MODEL,
                    "modified_at": "2025-06-01T10:00:00.000000000Z", "size": 88_000_000,
                    "digest": "9077fe9d2ae1a4a2b4c8c4e0b4b8a4f0e8f5d7c2a1b3c4d5e6f708192a3b4c5d",
                    "details": {
                        "parent_model": "", "format": "gguf", "family": "llama",
                        "families": ["llama"], "parameter_size": "134.52M",
                        "quantization_level": "Q4_1"
                    }
                }])
            };
            json_reply(&mut w, 200, &json!({ "models": models }))
        }
        ("POST", "/api/show") if known => json_reply(
            &mut w,
            200,
            &json!({
                "modelfile": "FROM smollm2", "parameters": "stop \"<|im_end|>\"",
                "template": "{{ .Prompt }}",
                "details": { "format": "gguf", "family": "llama", "parameter_size": "134.52M",
                             "quantization_level": "Q4_1" },
                "model_info": { "general.architecture": "llama",
                                "general.parameter_count": 134_515_008u64,
                                "llama.context_length": CONTEXT_LENGTH },
                "capabilities": ["completion"]
            }),
        ),
        ("POST", "/api/show") => json_reply(&mut w, 404, &json!({ "error": not_found })),
        ("GET", "/v1/models") => {
            let data = if st.removed.load(Ordering::SeqCst) {
                json!([])
            } else {
                json!([{ "id": MODEL, "object": "model", "created": 1_748_772_000,
                         "owned_by": "library" }])
            };
            json_reply(&mut w, 200, &json!({ "object": "list", "data": data }))
        }
        ("POST", "/v1/chat/completions" | "/v1/completions") if !known => json_reply(
            &mut w,
            404,
            &json!({ "error": { "message": not_found, "type": "api_error",
                                "param": null, "code": null } }),
        ),
        ("POST", path @ ("/v1/chat/completions" | "/v1/completions")) => {
            let mut body = req.body.clone();
            if let Some(o) = body.as_object_mut() {
                // No log-probabilities, as Ollama before it supported them.
                o.remove("logprobs");
                o.remove("top_logprobs");
            }
            pass_through(&mut w, path, &body, upstream, st)
        }
        _ => respond(&mut w, 404, "text/plain", "404 page not found"),
    }
}

/// Sends `body` to llama-server and copies its answer back as it arrives; a client that goes
/// away ends the upstream request too (closing it is how llama-server learns of a cancel).
fn pass_through(
    w: &mut TcpStream,
    path: &str,
    body: &Value,
    upstream: u16,
    st: &State,
) -> std::io::Result<()> {
    st.proxied.fetch_add(1, Ordering::SeqCst);
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let text = body.to_string();
    write!(
        up,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    let mut buf = [0u8; 4096];
    loop {
        let n = up.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        if w.write_all(&buf[..n]).and_then(|_| w.flush()).is_err() {
            st.client_left.store(true, Ordering::SeqCst);
            let _ = up.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
    }
}
