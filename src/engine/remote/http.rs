//! HTTP to a model server: JSON requests and server-sent-event streams over `ureq`, with every
//! failure (server down, wrong URL, 401, slow server, a cut stream) turned into a message that
//! says what happened and what to do.
//!
//! Why `ureq` (blocking) rather than `reqwest` + `eventsource-stream`: the engine is a worker
//! thread behind a channel, not async code, so a blocking client fits it with no runtime to
//! carry; cancelling is dropping the response reader, which closes the connection (llama-server
//! then stops the slot). SSE as servers send it here is `data: <json>` lines ended by a blank
//! line; `Events` reads exactly that (comments, `event:` and `id:` fields are skipped).

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use serde_json::Value;

use super::Timeouts;

type Response = ureq::http::Response<ureq::Body>;
use crate::engine::EngineError;

/// A client for one server: its base URL (no trailing slash) and optional bearer key.
#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    pub base: String,
    key: Option<String>,
}

impl Client {
    pub fn new(base: &str, key: Option<String>, t: &Timeouts) -> Client {
        // Statuses are read here (the server's message is in the body), not turned into errors.
        // The read timeout bounds the wait for the answer (a long prompt) and each later read.
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(t.connect))
            .timeout_recv_response(Some(t.read))
            .timeout_per_read(Some(t.read))
            .timeout_per_write(Some(t.read))
            .user_agent(concat!("howdah/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            base: base.trim_end_matches('/').to_string(),
            key,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorized<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.key {
            Some(k) => r.header("Authorization", &format!("Bearer {k}")),
            None => r,
        }
    }

    /// A success passes; any other status becomes the error that carries the server's message.
    fn checked(&self, path: &str, resp: Response) -> Result<Response, EngineError> {
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.status_error(path, resp))
        }
    }

    /// GET returning JSON; the error names the endpoint.
    pub fn get(&self, path: &str) -> Result<Value, EngineError> {
        let resp = self
            .authorized(self.agent.get(&self.url(path)))
            .call()
            .map_err(|e| self.error(path, e))?;
        let resp = self.checked(path, resp)?;
        self.json(path, resp)
    }

    /// POST a JSON body, returning JSON.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, EngineError> {
        let resp = self.send(path, body, false)?;
        self.json(path, resp)
    }

    /// POST a JSON body and read the reply as a stream of server-sent events.
    pub fn stream(&self, path: &str, body: &Value) -> Result<Events, EngineError> {
        let resp = self.send(path, body, true)?;
        Ok(Events {
            lines: BufReader::new(Box::new(resp.into_body().into_reader())),
            base: self.base.clone(),
        })
    }

    /// A kept-alive connection may have died with a server restart; that shows as an I/O error
    /// before any answer, so the request is sent once more on a fresh connection.
    fn send(&self, path: &str, body: &Value, sse: bool) -> Result<Response, EngineError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| EngineError::Remote(format!("cannot encode the request: {e}")))?;
        let mut retried = false;
        loop {
            let r = self
                .authorized(self.agent.post(&self.url(path)))
                .header("Content-Type", "application/json");
            let r = if sse {
                r.header("Accept", "text/event-stream")
            } else {
                r
            };
            match r.send(&json[..]) {
                Ok(resp) => return self.checked(path, resp),
                // A refused connection is a server that is down, not a stale one: no retry.
                Err(ureq::Error::Io(e)) if !retried && !refused(&e) => {
                    tracing::debug!("retrying {path} after {e}");
                    retried = true;
                }
                Err(e) => return Err(self.error(path, e)),
            }
        }
    }

    fn json(&self, path: &str, mut resp: Response) -> Result<Value, EngineError> {
        let not_json = |e: String| {
            EngineError::Remote(format!(
                "{}{path} did not answer with JSON ({e}): is this a model server?",
                self.base
            ))
        };
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| not_json(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| not_json(e.to_string()))
    }

    /// The message for an error status: what the server said, at which address, and what to do.
    fn status_error(&self, path: &str, mut resp: Response) -> EngineError {
        let at = format!("{}{path}", self.base);
        let code = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let detail = server_message(&body);
        EngineError::Remote(match code {
                    401 | 403 => format!(
                        "{at}: the server refused the API key (HTTP {code}{detail}): pass the right one with --api-key or the backend's api_key_env variable"
                    ),
                    404 => format!(
                        "{at}: not found (HTTP 404{detail}): check the backend URL and kind (llama-server, openai or ollama)"
                    ),
                    503 => format!(
                        "{at}: the server is not ready (HTTP 503{detail}): the model may still be loading; try again shortly"
                    ),
                    _ => format!("{at}: the server answered HTTP {code}{detail}"),
        })
    }

    /// The message for a request that got no answer: what happened, where, and what to do.
    pub fn error(&self, path: &str, e: ureq::Error) -> EngineError {
        EngineError::Remote(transport_message(&format!("{}{path}", self.base), e))
    }
}

fn transport_message(at: &str, e: ureq::Error) -> String {
    let text = e.to_string();
    let timed_out = |e: &std::io::Error| {
        use std::io::ErrorKind::*;
        matches!(e.kind(), TimedOut | WouldBlock)
    };
    match e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => format!(
            "cannot reach the server at {at} ({text}): is it running, and is the URL right?"
        ),
        ureq::Error::Io(ref io) if refused(io) => format!(
            "cannot reach the server at {at} ({text}): is it running, and is the URL right?"
        ),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            format!("{at} is not a usable URL ({text}): write it as http://host:port")
        }
        ureq::Error::Timeout(_) => format!(
            "the server at {at} did not answer in time ({text}): it may be busy; raise the backend's read_timeout (seconds) in config.toml"
        ),
        ureq::Error::Io(ref io) if timed_out(io) => format!(
            "the server at {at} did not answer in time ({text}): it may be busy; raise the backend's read_timeout (seconds) in config.toml"
        ),
        _ => format!("request to {at} failed: {text}"),
    }
}

/// A connect that failed because nothing listens there (or nothing can be reached).
fn refused(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | AddrNotAvailable | HostUnreachable | NetworkUnreachable
    )
}

/// The `error.message` (OpenAI and llama-server style) or `error` (Ollama) of an error body.
fn server_message(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let msg = v["error"]["message"]
        .as_str()
        .or_else(|| v["error"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.chars().take(200).collect());
    let msg = crate::text::sanitize::sanitize_line(msg.trim());
    if msg.is_empty() {
        String::new()
    } else {
        format!(": {msg}")
    }
}

/// One item of an event stream.
pub(crate) enum Sse {
    Data(Value),
    /// `data: [DONE]`, OpenAI's end marker.
    Done,
}

/// The events of a streamed reply. Dropping it closes the connection: that is how a generation
/// is cancelled on the server.
pub(crate) struct Events {
    lines: BufReader<Box<dyn Read + Send + 'static>>,
    base: String,
}

impl Events {
    /// The next event; `Ok(None)` at the end of the stream. An `{"error": ..}` event, as
    /// llama-server sends when a request fails after streaming began, becomes an error.
    pub fn next_event(&mut self) -> Result<Option<Sse>, EngineError> {
        let mut data = String::new();
        loop {
            let mut line = String::new();
            let n = self.lines.read_line(&mut line).map_err(|e| {
                // ureq hands its own errors (a per-read timeout) through `Read` wrapped in I/O.
                let e = ureq::Error::from(e);
                let stalled = match &e {
                    ureq::Error::Timeout(_) => true,
                    ureq::Error::Io(io) => matches!(
                        io.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                    ),
                    _ => false,
                };
                let text = e.to_string();
                EngineError::Remote(if stalled {
                    format!(
                        "the server at {} stopped sending mid-reply ({text}): raise the backend's read_timeout if it is just slow",
                        self.base
                    )
                } else {
                    format!(
                        "the connection to {} broke mid-reply ({text})",
                        self.base
                    )
                })
            })?;
            if n == 0 {
                return Ok(None);
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                return self.parse(&data).map(Some);
            }
            if let Some(rest) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            } else if let Some(rest) = line.strip_prefix("error:") {
                return Err(EngineError::Remote(format!(
                    "the server at {} reported an error mid-reply{}",
                    self.base,
                    server_message(rest.trim())
                )));
            }
            // Comments (":"), event:, id: and retry: lines carry nothing we use.
        }
    }

    fn parse(&self, data: &str) -> Result<Sse, EngineError> {
        if data.trim() == "[DONE]" {
            return Ok(Sse::Done);
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            EngineError::Remote(format!(
                "the server at {} sent an event that is not JSON ({e})",
                self.base
            ))
        })?;
        if v.get("error").is_some_and(|e| !e.is_null()) {
            return Err(EngineError::Remote(format!(
                "the server at {} reported an error{}",
                self.base,
                server_message(data)
            )));
        }
        Ok(Sse::Data(v))
    }
}

/// Default timeouts: connecting should be quick; a read may wait for a long prompt to process.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a waiting request looks at its cancel flag.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// A stream read on its own thread, so that a cancel is seen at once even while the server is
/// still processing the prompt: the reader is abandoned, and drops (closes) the connection as
/// soon as the next bytes arrive or the read times out.
pub(crate) struct Pump {
    rx: std::sync::mpsc::Receiver<Result<Option<Sse>, EngineError>>,
}

/// What waiting on a pump gave.
pub(crate) enum Next {
    Event(Sse),
    /// The stream ended (with or without an end marker).
    End,
    Cancelled,
}

impl Pump {
    /// Opens the stream on a reader thread.
    pub fn start(client: &Client, path: &str, body: Value) -> Pump {
        let (tx, rx) = std::sync::mpsc::channel();
        let client = client.clone();
        let path = path.to_string();
        let spawned = std::thread::Builder::new()
            .name("howdah-remote-sse".into())
            .spawn(move || {
                let mut events = match client.stream(&path, &body) {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    let item = events.next_event();
                    let last = !matches!(item, Ok(Some(Sse::Data(_))));
                    if tx.send(item).is_err() || last {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = tx.send(Err(EngineError::Backend(format!(
                "cannot start a reader thread: {e}"
            ))));
            return Pump { rx };
        }
        Pump { rx }
    }

    /// The next event, or `Cancelled` as soon as `cancelled()` says so.
    pub fn next(&self, cancelled: impl Fn() -> bool) -> Result<Next, EngineError> {
        loop {
            if cancelled() {
                return Ok(Next::Cancelled);
            }
            match self.rx.recv_timeout(CANCEL_POLL) {
                Ok(Ok(Some(Sse::Done))) | Ok(Ok(None)) => return Ok(Next::End),
                Ok(Ok(Some(ev))) => return Ok(Next::Event(ev)),
                Ok(Err(e)) => return Err(e),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(Next::End),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &'static str) -> Events {
        Events {
            lines: BufReader::new(Box::new(text.as_bytes())),
            base: "http://x".into(),
        }
    }

    #[test]
    fn data_lines_comments_and_the_end_marker() {
        let mut e = events(
            ": ping\n\ndata: {\"a\":1}\n\nevent: x\ndata: {\"b\":\ndata: 2}\n\ndata: [DONE]\n\n",
        );
        assert!(matches!(e.next_event(), Ok(Some(Sse::Data(v))) if v["a"] == 1));
        assert!(matches!(e.next_event(), Ok(Some(Sse::Data(v))) if v["b"] == 2));
        assert!(matches!(e.next_event(), Ok(Some(Sse::Done))));
        assert!(matches!(e.next_event(), Ok(None)));
    }

    #[test]
    fn error_events_become_errors_with_the_server_message() {
        let mut e = events("data: {\"error\":{\"message\":\"context full\",\"code\":500}}\n\n");
        let err = e.next_event().err().unwrap().to_string();
        assert!(
            err.contains("context full") && err.contains("http://x"),
            "{err}"
        );
        let mut e = events("data: not json\n\n");
        assert!(e.next_event().is_err());
    }

    #[test]
    fn server_messages_are_taken_from_either_error_shape_and_sanitized() {
        assert_eq!(
            server_message(r#"{"error":{"message":"Invalid API Key"}}"#),
            ": Invalid API Key"
        );
        assert_eq!(
            server_message(r#"{"error":"model 'x' not found"}"#),
            ": model 'x' not found"
        );
        assert_eq!(server_message("bad\u{1b}[31m gateway"), ": bad gateway");
        assert_eq!(server_message(""), "");
    }
}
