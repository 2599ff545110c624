//! The active bindings: the defaults with the config's `[keys.<context>]` applied (unknown
//! contexts, actions and keys are warned about, naming their line), looked up per context and
//! key, and shown as on-screen hints and the help overlay's rows.

use std::collections::{BTreeMap, HashMap};

use super::defaults::TABLE;
use super::key_spec::KeySpec;
use super::{Cmd, Ctx};
use crate::config::KeyList;

/// The active bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    lookup: HashMap<(Ctx, KeySpec), Cmd>,
    keys: HashMap<Cmd, Vec<KeySpec>>,
}

/// One row of the help overlay.
pub struct HelpRow {
    pub keys: String,
    pub name: &'static str,
    pub help: &'static str,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new(), "").0
    }
}

impl Keymap {
    /// Defaults with the config's `[keys.*]` applied. Unknown contexts, actions or keys give
    /// warnings naming them (and their line in `config_text`); the defaults stay for those.
    pub fn new(
        user: &BTreeMap<String, BTreeMap<String, KeyList>>,
        config_text: &str,
    ) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut keys: HashMap<Cmd, Vec<KeySpec>> = HashMap::new();
        for (cmd, _, _, default, _) in TABLE {
            let specs = default
                .split_whitespace()
                .filter_map(|s| KeySpec::parse(s).ok())
                .collect();
            keys.insert(*cmd, specs);
        }
        for (ctx_name, actions) in user {
            let table = format!("keys.{ctx_name}");
            let Some(ctx) = Ctx::ALL.iter().copied().find(|c| c.name() == ctx_name) else {
                let names: Vec<&str> = Ctx::ALL.iter().map(|c| c.name()).collect();
                warnings.push(format!(
                    "[{table}]: no such key context (known: {})",
                    names.join(", ")
                ));
                continue;
            };
            for (action, list) in actions {
                let at = crate::config::line_of(config_text, &table, action)
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                let Some((cmd, ..)) = TABLE.iter().find(|r| r.1 == ctx && r.2 == action) else {
                    let names: Vec<&str> =
                        TABLE.iter().filter(|r| r.1 == ctx).map(|r| r.2).collect();
                    warnings.push(format!(
                        "{at}[{table}] `{action}`: no such action (known: {})",
                        names.join(", ")
                    ));
                    continue;
                };
                let parsed: Result<Vec<KeySpec>, String> =
                    list.specs().into_iter().map(KeySpec::parse).collect();
                match parsed {
                    Ok(specs) => {
                        keys.insert(*cmd, specs);
                    }
                    Err(e) => warnings.push(format!("{at}[{table}] `{action}`: {e}")),
                }
            }
        }
        let mut lookup = HashMap::new();
        for (cmd, ctx, name, _, _) in TABLE {
            for k in keys.get(cmd).into_iter().flatten() {
                if let Some(other) = lookup.insert((*ctx, *k), *cmd) {
                    if other != *cmd {
                        let other_name = TABLE.iter().find(|r| r.0 == other).map(|r| r.2);
                        warnings.push(format!(
                            "[keys.{}]: {k} is bound to both `{}` and `{name}`; `{name}` wins",
                            ctx.name(),
                            other_name.unwrap_or("?")
                        ));
                    }
                }
            }
        }
        (Keymap { lookup, keys }, warnings)
    }

    pub fn get(&self, ctx: Ctx, key: &KeySpec) -> Option<Cmd> {
        self.lookup.get(&(ctx, *key)).copied()
    }

    /// The first key of a command, for on-screen hints.
    pub fn hint(&self, cmd: Cmd) -> String {
        self.keys
            .get(&cmd)
            .and_then(|k| k.first())
            .map(|k| k.to_string())
            .unwrap_or_else(|| "(unbound)".into())
    }

    /// The help rows of one context.
    pub fn help(&self, ctx: Ctx) -> Vec<HelpRow> {
        TABLE
            .iter()
            .filter(|r| r.1 == ctx)
            .map(|(cmd, _, name, _, help)| HelpRow {
                keys: self
                    .keys
                    .get(cmd)
                    .map(|k| {
                        k.iter()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "(unbound)".into()),
                name,
                help,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn specs_match_events() {
        let km = Keymap::default();
        let k = KeySpec::from_event(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL));
        assert_eq!(km.get(Ctx::Global, &k), Some(Cmd::Quit));
        let k = KeySpec::from_event(&ev(KeyCode::Enter, KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Input, &k), Some(Cmd::Newline));
        let k = KeySpec::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Transcript, &k), Some(Cmd::ScrollBottom));
        let k = KeySpec::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Global, &k), Some(Cmd::FocusPrev));
    }

    #[test]
    fn user_bindings_replace_defaults_and_errors_name_the_line() {
        let text = "[keys.global]\nquit = \"f10\"\nhelp = \"hyper+x\"\nfly = \"f2\"\n";
        let cfg = crate::config::parse(text).unwrap();
        let (km, warnings) = Keymap::new(&cfg.keys, text);
        let f10 = KeySpec::parse("f10").unwrap();
        assert_eq!(km.get(Ctx::Global, &f10), Some(Cmd::Quit));
        let ctrl_q = KeySpec::parse("ctrl+q").unwrap();
        assert_eq!(km.get(Ctx::Global, &ctrl_q), None);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings
            .iter()
            .any(|w| w.contains("line 3") && w.contains("hyper")));
        assert!(warnings
            .iter()
            .any(|w| w.contains("line 4") && w.contains("`fly`")));
    }
}
