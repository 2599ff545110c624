//! Sampling presets: the built-in precise / balanced / creative, and the user's own, saved in
//! `<config>/presets.toml` as `[presets.<name>]` tables of `Sampling` fields.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Sampling;

pub const BUILT_IN: [&str; 3] = ["precise", "balanced", "creative"];

pub fn built_in(name: &str) -> Option<Sampling> {
    let d = Sampling::default();
    match name {
        "precise" => Some(Sampling {
            temperature: 0.2,
            top_k: 20,
            top_p: 0.9,
            min_p: 0.1,
            ..d
        }),
        "balanced" => Some(d),
        "creative" => Some(Sampling {
            temperature: 1.1,
            top_k: 100,
            top_p: 0.98,
            min_p: 0.02,
            ..d
        }),
        _ => None,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    presets: BTreeMap<String, Sampling>,
}

/// The one settings check, naming the file, the line of the offending field and the preset.
fn check_preset(path: &Path, text: &str, name: &str, s: &Sampling) -> Result<(), String> {
    use crate::engine::settings::{Settings, Source};
    let engine = crate::engine::EngineSettings::default();
    let problem = match s.validate() {
        Ok(()) => return Ok(()),
        Err(p) => p,
    };
    // Problems start with the field's name ("top_p must be ...", "grammar: line 2, ...").
    let field = problem
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    let line = crate::config::line_of(text, &format!("presets.{name}"), field);
    let source = Source::File {
        path: path.to_path_buf(),
        line,
    };
    let e = Settings {
        engine: &engine,
        sampling: Some(s),
    }
    .validate(&source, None)
    .err()
    .map(|e| e.to_string())
    .unwrap_or(problem);
    Err(format!("{e} (preset '{name}')"))
}

/// Built-in and user presets, in display order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Presets {
    pub user: BTreeMap<String, Sampling>,
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("presets.toml")
}

impl Presets {
    /// Reads the user's presets; a bad file gives a warning and no user presets.
    pub fn load(config_dir: &Path) -> (Presets, Option<String>) {
        let p = path(config_dir);
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Presets::default(), None)
            }
            Err(e) => {
                return (
                    Presets::default(),
                    Some(format!("cannot read {}: {e}", p.display())),
                )
            }
        };
        match toml::from_str::<File>(&text) {
            Ok(f) => {
                let mut warn = None;
                let mut user = BTreeMap::new();
                for (name, s) in f.presets {
                    match check_preset(&p, &text, &name, &s) {
                        Ok(()) => {
                            user.insert(name, s);
                        }
                        Err(e) => warn = Some(e),
                    }
                }
                (Presets { user }, warn)
            }
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| format!("line {}: ", crate::config::line_at(&text, s.start)))
                    .unwrap_or_default();
                (
                    Presets::default(),
                    Some(format!("{}: {line}{}", p.display(), e.message().trim())),
                )
            }
        }
    }

    /// All names: built-in first, then the user's.
    pub fn names(&self) -> Vec<String> {
        BUILT_IN
            .iter()
            .map(|s| s.to_string())
            .chain(
                self.user
                    .keys()
                    .filter(|k| !BUILT_IN.contains(&k.as_str()))
                    .cloned(),
            )
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<Sampling> {
        self.user.get(name).cloned().or_else(|| built_in(name))
    }

    pub fn is_user(&self, name: &str) -> bool {
        self.user.contains_key(name)
    }

    /// Writes the user presets: a temp file in the same folder, then a rename, so a crash never
    /// leaves half a file.
    pub fn save(&self, config_dir: &Path) -> Result<(), String> {
        let p = path(config_dir);
        std::fs::create_dir_all(config_dir)
            .map_err(|e| format!("cannot create {}: {e}", config_dir.display()))?;
        let text = toml::to_string_pretty(&File {
            presets: self.user.clone(),
        })
        .map_err(|e| format!("cannot encode presets: {e}"))?;
        let tmp = p.with_extension("toml.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &p)
        };
        write().map_err(|e| format!("cannot write {}: {e}", p.display()))
    }
}

/// A preset name must be usable as a TOML key and in a list: letters, digits, - _ and spaces.
pub fn check_name(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("a preset needs a name".into());
    }
    if n.chars().count() > 40 {
        return Err("preset names are at most 40 characters".into());
    }
    if !n
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
    {
        return Err(format!("'{n}': use letters, digits, spaces, - and _ only"));
    }
    if BUILT_IN.contains(&n) {
        return Err(format!("'{n}' is a built-in preset; pick another name"));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_valid() {
        for n in BUILT_IN {
            built_in(n).unwrap().validate().unwrap();
        }
    }

    #[test]
    fn user_presets_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Presets::default();
        p.user.insert("mine".into(), Sampling::greedy());
        p.save(dir.path()).unwrap();
        let (back, warn) = Presets::load(dir.path());
        assert!(warn.is_none());
        assert_eq!(back, p);
        assert_eq!(
            back.names(),
            vec!["precise", "balanced", "creative", "mine"]
        );
    }

    #[test]
    fn bad_file_warns_with_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "[presets.x]\ntemperature = \"hot\"\n").unwrap();
        let (p, warn) = Presets::load(dir.path());
        assert!(p.user.is_empty());
        assert!(warn.unwrap().contains("line 2"));
    }
}
