//! Server-sent events as model servers stream them (`data: <json>` lines ended by a blank line,
//! `[DONE]` at the end, `{"error": ..}` when a request fails mid-stream), and the `Pump` that
//! reads them on a thread of their own so a cancel is seen at once.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::http::{server_message, Client};
use crate::engine::EngineError;

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
    /// Opens the stream: POSTs `body` to `path` asking for events.
    pub fn open(client: &Client, path: &str, body: &Value) -> Result<Events, EngineError> {
        Ok(Events {
            lines: BufReader::new(client.post_for_events(path, body)?),
            base: client.base.clone(),
        })
    }

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
                let mut events = match Events::open(&client, &path, &body) {
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
}
