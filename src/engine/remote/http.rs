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
use crate::engine::EngineError;

/// A client for one server: its base URL (no trailing slash) and optional bearer key.
#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq2::Agent,
    pub base: String,
    key: Option<String>,
}

impl Client {
    pub fn new(base: &str, key: Option<String>, t: &Timeouts) -> Client {
        let agent = ureq2::AgentBuilder::new()
            .timeout_connect(t.connect)
            .timeout_read(t.read)
            .timeout_write(t.read)
            .build();
        Client {
            agent,
            base: base.trim_end_matches('/').to_string(),
            key,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorized(&self, r: ureq2::Request) -> ureq2::Request {
        match &self.key {
            Some(k) => r.set("Authorization", &format!("Bearer {k}")),
            None => r,
        }
    }

    /// GET returning JSON; the error names the endpoint.
    pub fn get(&self, path: &str) -> Result<Value, EngineError> {
        let resp = self
            .authorized(self.agent.get(&self.url(path)))
            .call()
            .map_err(|e| self.error(path, e))?;
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
            lines: BufReader::new(resp.into_reader()),
            base: self.base.clone(),
        })
    }

    /// A kept-alive connection may have died with a server restart; that shows as an I/O error
    /// before any answer, so the request is sent once more on a fresh connection.
    fn send(&self, path: &str, body: &Value, sse: bool) -> Result<ureq2::Response, EngineError> {
        let mut retried = false;
        loop {
            let r = self.authorized(self.agent.post(&self.url(path)));
            let r = if sse {
                r.set("Accept", "text/event-stream")
            } else {
                r
            };
            match r.send_json(body) {
                Ok(resp) => return Ok(resp),
                Err(ureq2::Error::Transport(t)) if !retried && t.kind() == ureq2::ErrorKind::Io => {
                    tracing::debug!("retrying {path} after {t}");
                    retried = true;
                }
                Err(e) => return Err(self.error(path, e)),
            }
        }
    }

    fn json(&self, path: &str, resp: ureq2::Response) -> Result<Value, EngineError> {
        resp.into_json::<Value>().map_err(|e| {
            EngineError::Remote(format!(
                "{}{path} did not answer with JSON ({e}): is this a model server?",
                self.base
            ))
        })
    }

    /// The message for a failed request: what happened, at which address, and what to do.
    pub fn error(&self, path: &str, e: ureq2::Error) -> EngineError {
        let at = format!("{}{path}", self.base);
        EngineError::Remote(match e {
            ureq2::Error::Status(code, resp) => {
                let body = resp.into_string().unwrap_or_default();
                let detail = server_message(&body);
                match code {
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
                }
            }
            ureq2::Error::Transport(t) => transport_message(&at, &t.to_string(), t.kind()),
        })
    }
}

fn transport_message(at: &str, text: &str, kind: ureq2::ErrorKind) -> String {
    match kind {
        ureq2::ErrorKind::ConnectionFailed | ureq2::ErrorKind::Dns => format!(
            "cannot reach the server at {at} ({text}): is it running, and is the URL right?"
        ),
        ureq2::ErrorKind::InvalidUrl | ureq2::ErrorKind::UnknownScheme => {
            format!("{at} is not a usable URL ({text}): write it as http://host:port")
        }
        _ if text.contains("timed out") || text.contains("Timeout") => format!(
            "the server at {at} did not answer in time ({text}): it may be busy; raise the backend's read_timeout (seconds) in config.toml"
        ),
        _ => format!("request to {at} failed: {text}"),
    }
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
    lines: BufReader<Box<dyn Read + Send + Sync + 'static>>,
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
                let kind = if e.kind() == std::io::ErrorKind::TimedOut
                    || e.kind() == std::io::ErrorKind::WouldBlock
                {
                    ureq2::ErrorKind::Io
                } else {
                    ureq2::ErrorKind::ConnectionFailed
                };
                let text = e.to_string();
                EngineError::Remote(if kind == ureq2::ErrorKind::Io {
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
