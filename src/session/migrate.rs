//! Reading session bytes of any known schema: classifies broken files (empty, truncated,
//! corrupt, too new) and upgrades older shapes to the current one.
//!
//! Schema 0 is the shape written before files carried a `schema_version`:
//! `{"title"?, "created"? (unix seconds), "model"? (file name), "messages": [{"role", "text"}]}`.
//! It has no reply records, so the model it names becomes the session's `model_hint`.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::SessionError;
use super::format::{Message, Session, SessionKind, SCHEMA_VERSION};
use crate::engine::Role;

/// A decoded file and the schema it was written in (less than `SCHEMA_VERSION` = migrated).
pub struct Decoded {
    pub session: Session,
    pub from_version: u64,
}

/// Parses a session file's bytes. `path` is only used for messages and for the id of files that
/// predate ids.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, SessionError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SessionError::Empty { path: path.into() });
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| json_error(path, e))?;
    let Some(obj) = value.as_object() else {
        return Err(corrupt(path, "the top level must be a JSON object"));
    };
    let version = match obj.get("schema_version") {
        None => 0,
        Some(v) => v.as_u64().ok_or_else(|| {
            corrupt(
                path,
                format!("schema_version must be a whole number, got {v}"),
            )
        })?,
    };
    if version > u64::from(SCHEMA_VERSION) {
        return Err(SessionError::TooNew {
            path: path.into(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let mut session = if version == u64::from(SCHEMA_VERSION) {
        // From the bytes rather than the value, so errors carry a line and column.
        serde_json::from_slice::<Session>(bytes).map_err(|e| json_error(path, e))?
    } else {
        let v0: V0 =
            serde_json::from_value(value).map_err(|e| corrupt(path, format!("{e} (schema 0)")))?;
        from_v0(v0, path)
    };
    if session.id.trim().is_empty() {
        session.id = stem(path);
    }
    Ok(Decoded {
        session,
        from_version: version,
    })
}

fn json_error(path: &Path, e: serde_json::Error) -> SessionError {
    if e.is_eof() {
        SessionError::Truncated {
            path: path.into(),
            line: e.line(),
            column: e.column(),
        }
    } else {
        corrupt(path, e.to_string())
    }
}

fn corrupt(path: &Path, detail: impl Into<String>) -> SessionError {
    SessionError::Corrupt {
        path: path.into(),
        detail: detail.into(),
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct V0 {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    model: Option<String>,
    messages: Vec<V0Message>,
}

#[derive(Deserialize)]
struct V0Message {
    role: Role,
    text: String,
}

fn from_v0(v0: V0, path: &Path) -> Session {
    let created: DateTime<Utc> = v0
        .created
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now);
    Session {
        schema_version: SCHEMA_VERSION,
        id: stem(path),
        title: v0.title.filter(|t| !t.trim().is_empty()),
        kind: SessionKind::Chat,
        created_at: created,
        updated_at: created,
        messages: v0
            .messages
            .into_iter()
            .map(|m| Message {
                role: m.role,
                content: m.text,
                at: None,
                reply: None,
                rejected: Vec::new(),
                versions: None,
            })
            .collect(),
        runs: Vec::new(),
        model_hint: v0.model,
        imported_from: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/x/20250101-000000-abcd.json")
    }

    #[test]
    fn classifies_broken_files() {
        assert!(matches!(decode(p(), b""), Err(SessionError::Empty { .. })));
        assert!(matches!(
            decode(p(), b"  \n"),
            Err(SessionError::Empty { .. })
        ));
        assert!(matches!(
            decode(p(), br#"{"schema_version": 1, "id": "#),
            Err(SessionError::Truncated { .. })
        ));
        assert!(matches!(
            decode(p(), b"[1,2]"),
            Err(SessionError::Corrupt { .. })
        ));
        let e = decode(p(), br#"{"schema_version": 99}"#).err().unwrap();
        let msg = e.to_string();
        assert!(msg.contains("99") && msg.contains("up to 1"), "{msg}");
    }

    #[test]
    fn migrates_schema_0() {
        let d = decode(
            p(),
            br#"{"title":"Old","created":1700000000,"model":"m.gguf",
                "messages":[{"role":"user","text":"hi"},{"role":"assistant","text":"hello"}]}"#,
        )
        .unwrap();
        assert_eq!(d.from_version, 0);
        let s = d.session;
        assert_eq!(s.id, "20250101-000000-abcd");
        assert_eq!(s.title.as_deref(), Some("Old"));
        assert_eq!(s.model_hint.as_deref(), Some("m.gguf"));
        assert_eq!(s.messages.len(), 2);
        assert_eq!(s.messages[1].content, "hello");
        assert_eq!(s.created_at.timestamp(), 1_700_000_000);
    }
}
