//! The user's settings file (`config.toml` in the config folder, or `--config PATH`): typed, with
//! defaults for everything, and errors that name the key, the file and the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod lenient;
pub use lenient::parse_lenient;

/// Everything `config.toml` may say. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A built-in theme (dark, light, high-contrast) or `<config>/themes/<name>.toml`.
    pub theme: String,
    /// Mouse wheel scrolling (turn off to let the terminal select text natively).
    pub mouse: bool,
    /// Show the conversation list on wide terminals.
    pub sidebar: bool,
    /// System prompt of new conversations.
    pub system_prompt: String,
    /// Sampling preset of new conversations (a built-in one or a saved one).
    pub preset: String,
    /// Start with the token heat-map view on.
    pub token_view: bool,
    /// Key bindings per screen part: `[keys.<context>]` then `action = "key"` or a list, e.g.
    /// `[keys.global]` `quit = ["ctrl+q", "f10"]`. `?` in the app lists contexts and actions.
    pub keys: BTreeMap<String, BTreeMap<String, KeyList>>,
    /// Model servers by name: `[backends.NAME]` with `url`, `kind`, `api_key_env`, `model`
    /// (see `BackendConfig`); chosen with `--backend NAME` or in the model picker.
    pub backends: BTreeMap<String, BackendConfig>,
    /// Chat templates replacing a model's own: `[chat_templates]` then
    /// `"model-file.gguf" = "path/to/template.jinja"` (or a built-in layout name such as
    /// "llama3"). See `chat_template::overrides`.
    pub chat_templates: BTreeMap<String, String>,
    /// When a chat outgrows the context: "shift" (default), "redecode" or "stop".
    pub context_overflow: crate::engine::ContextOverflow,
    /// Embedding model for `similar` selection, `--method embed` and `howdah embed`: a path or a
    /// name `howdah models` lists (default: all-MiniLM-L6-v2 when installed).
    pub embed_model: Option<String>,
}

/// One `[backends.NAME]` table. The API key is never stored: `api_key_env` names the
/// environment variable that holds it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    pub url: String,
    /// llama-server, openai or ollama; detected when left out.
    pub kind: Option<String>,
    pub api_key_env: Option<String>,
    /// Default model on that server.
    pub model: Option<String>,
    /// Most requests in flight (default: the server's slot count).
    pub parallel: Option<usize>,
    /// Seconds to wait for a connection (default 5).
    pub connect_timeout: Option<u64>,
    /// Seconds to wait for the next bytes of an answer (default 120).
    pub read_timeout: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: "dark".into(),
            mouse: true,
            sidebar: true,
            system_prompt: String::new(),
            preset: "balanced".into(),
            token_view: false,
            keys: BTreeMap::new(),
            backends: BTreeMap::new(),
            chat_templates: BTreeMap::new(),
            context_overflow: Default::default(),
            embed_model: None,
        }
    }
}

/// One key or several for an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn specs(&self) -> Vec<&str> {
        match self {
            KeyList::One(s) => vec![s.as_str()],
            KeyList::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A loaded config with where it came from and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The file read (or that would be read: it need not exist).
    pub path: PathBuf,
    /// The file's text, kept so later checks (key bindings) can name a line.
    pub text: String,
    /// Problems found; the app shows them and carries on with defaults.
    pub warnings: Vec<String>,
}

/// The default config file: `config.toml` in the config folder.
pub fn default_path() -> PathBuf {
    crate::paths::config_dir().join("config.toml")
}

/// Reads the config. A missing default file is not an error; a missing `--config` file is a
/// warning. Each invalid line gives a warning naming file, line and key; the valid ones apply.
pub fn load(explicit: Option<&Path>) -> Loaded {
    let path = explicit.map(Path::to_path_buf).unwrap_or_else(default_path);
    let mut loaded = Loaded {
        config: Config::default(),
        path: path.clone(),
        text: String::new(),
        warnings: Vec::new(),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            // One bad line costs only itself: the rest of the file still applies.
            let (config, problems) = parse_lenient(&text);
            loaded.config = config;
            for p in problems {
                loaded
                    .warnings
                    .push(format!("{} {p}; this setting is ignored", path.display()));
            }
            loaded.text = text;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {}
        Err(e) => loaded.warnings.push(format!(
            "cannot read config file {}: {e}; using the default settings",
            path.display()
        )),
    }
    loaded
}

/// Parses config text; the error says "line N: key `k`: what is wrong".
pub fn parse(text: &str) -> Result<Config, String> {
    toml::from_str::<Config>(text).map_err(|e| {
        let msg = e.message().trim().to_string();
        match e.span() {
            Some(span) => {
                let line = line_at(text, span.start);
                match key_on_line(text, line).or_else(|| quoted_key(&msg)) {
                    Some(key) => format!("line {line}: key `{key}`: {msg}"),
                    None => format!("line {line}: {msg}"),
                }
            }
            None => msg,
        }
    })
}

/// 1-based line number of byte offset `at`.
pub fn line_at(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .map(|t| t.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// The key assigned on a 1-based line (`key = value`), if that line assigns one.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// serde names an unknown field as "unknown field `x`".
fn quoted_key(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_string())
}

/// The 1-based line where `key` is assigned inside table `[table]`, for later checks.
pub fn line_of(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut in_table = table.is_empty();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_table = t.trim_matches(|c| c == '[' || c == ']').trim() == table;
            continue;
        }
        if in_table {
            if let Some((k, _)) = t.split_once('=') {
                if k.trim().trim_matches('"') == key {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn values_and_keys_are_read() {
        let c = parse(
            "theme = \"light\"\nmouse = false\n[keys.global]\nquit = [\"ctrl+q\", \"f10\"]\nhelp = \"f1\"\n",
        )
        .unwrap();
        assert_eq!(c.theme, "light");
        assert!(!c.mouse);
        assert_eq!(c.keys["global"]["quit"].specs(), vec!["ctrl+q", "f10"]);
        assert_eq!(c.keys["global"]["help"].specs(), vec!["f1"]);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("theme = \"dark\"\n\nthem = \"x\"\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("them"), "{e}");
    }

    #[test]
    fn bad_type_names_key_and_line() {
        let e = parse("theme = \"dark\"\nmouse = \"yes\"\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("`mouse`"), "{e}");
    }

    #[test]
    fn missing_explicit_file_warns_and_defaults() {
        let l = load(Some(Path::new("/nonexistent/howdah.toml")));
        assert_eq!(l.config, Config::default());
        assert!(l.warnings[0].contains("/nonexistent/howdah.toml"));
    }

    #[test]
    fn line_of_finds_keys_in_tables() {
        let t = "theme = \"x\"\n[keys.global]\nquit = \"q\"\n";
        assert_eq!(line_of(t, "keys.global", "quit"), Some(3));
        assert_eq!(line_of(t, "", "theme"), Some(1));
    }
}

#[cfg(test)]
mod backend_tests {
    use super::*;

    #[test]
    fn backends_are_read_and_unknown_keys_named_with_their_line() {
        let c = parse(
            "[backends.gpu-box]\nurl = \"http://gpu:8080\"\nkind = \"llama-server\"\napi_key_env = \"K\"\nmodel = \"qwen\"\n",
        )
        .unwrap();
        let b = &c.backends["gpu-box"];
        assert_eq!(b.url, "http://gpu:8080");
        assert_eq!(b.kind.as_deref(), Some("llama-server"));
        assert_eq!(b.api_key_env.as_deref(), Some("K"));
        assert_eq!(b.model.as_deref(), Some("qwen"));
        let e = parse("[backends.x]\nurl = \"http://a\"\napi_key = \"secret\"\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("api_key"), "{e}");
    }
}
