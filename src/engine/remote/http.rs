//! HTTP to a model server: JSON requests and server-sent-event streams over `ureq`, with every
//! failure (server down, wrong URL, 401, slow server, a cut stream) turned into a message that
//! says what happened and what to do.
//!
//! Why `ureq` (blocking) rather than `reqwest` + `eventsource-stream`: the engine is a worker
//! thread behind a channel, not async code, so a blocking client fits it with no runtime to
//! carry; cancelling is dropping the response reader, which closes the connection (llama-server
//! then stops the slot). SSE as servers send it here is `data: <json>` lines ended by a blank
//! line; `Events` (in `sse.rs`) reads exactly that (comments, `event:` and `id:` fields are
//! skipped).

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

use super::Timeouts;
use crate::engine::EngineError;

type Response = ureq::http::Response<ureq::Body>;

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

    /// POST a JSON body asking for server-sent events; the body to read them from (`sse.rs`).
    pub fn post_for_events(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Box<dyn Read + Send + 'static>, EngineError> {
        let resp = self.send(path, body, true)?;
        Ok(Box::new(resp.into_body().into_reader()))
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
pub(super) fn server_message(body: &str) -> String {
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

/// Default timeouts: connecting should be quick; a read may wait for a long prompt to process.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(120);

#[cfg(test)]
mod tests {
    use super::*;

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
