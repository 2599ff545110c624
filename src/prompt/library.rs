//! The template library: built-ins plus the user's folder (user files override built-ins of the
//! same name), with per-file errors so one broken file never hides the others.

use std::path::{Path, PathBuf};

use super::builtin::BUILTIN;
use super::error::TemplateError;
use super::template::{Source, Template};
use super::validate::{parse_template, valid_template_name};

/// Template files larger than this are refused (a template is a few KiB of text).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// `<config folder>/prompts`, where user templates live.
pub fn user_prompts_dir() -> PathBuf {
    crate::paths::config_dir().join("prompts")
}

/// The editor a user edits template files in (the CLI's `prompt edit`, the template browser):
/// $VISUAL, then $EDITOR, then `vi`; it may carry arguments (`code -w`).
pub fn editor_command() -> Vec<String> {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|parts| !parts.is_empty())
        .unwrap_or_else(|| vec!["vi".to_string()])
}

/// Every usable template, sorted by name, and the errors of the files that are not.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub templates: Vec<Template>,
    pub errors: Vec<TemplateError>,
}

impl Library {
    /// Built-ins and the user's templates from [`user_prompts_dir`].
    pub fn load() -> Library {
        Library::load_from(Some(&user_prompts_dir()))
    }

    /// Built-ins, overridden by the `*.toml` files of `user_dir` (a missing folder is fine).
    /// When a user file is broken, its error is reported and a built-in of that name stays.
    pub fn load_from(user_dir: Option<&Path>) -> Library {
        let mut lib = Library::default();
        for (file, text) in BUILTIN {
            let stem = file.trim_end_matches(".toml");
            match parse_template(text, stem, Source::Builtin(file)) {
                Ok(t) => lib.templates.push(t),
                Err(e) => lib.errors.push(e),
            }
        }
        if let Some(dir) = user_dir {
            for item in read_user_dir(dir, &mut lib.errors) {
                match item {
                    Ok(t) => {
                        lib.templates.retain(|o| o.name != t.name);
                        lib.templates.push(t);
                    }
                    Err(e) => lib.errors.push(e),
                }
            }
        }
        lib.templates.sort_by(|a, b| a.name.cmp(&b.name));
        lib
    }

    pub fn get(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.templates.iter().map(|t| t.name.as_str()).collect()
    }

    /// The template called `name`, or an error listing the known names (and this name's file
    /// error, when its file failed to load).
    pub fn find(&self, name: &str) -> Result<&Template, String> {
        if let Some(t) = self.get(name) {
            return Ok(t);
        }
        let file = format!("{name}.toml");
        let stem_err = self.errors.iter().find(|e| {
            let f = e.file.trim_end_matches(" (built in)");
            Path::new(f).file_name().is_some_and(|n| n == file.as_str())
        });
        match stem_err {
            Some(e) => Err(format!("template '{name}' failed to load: {e}")),
            None => Err(format!(
                "no template named '{name}': known templates are {} (howdah prompt list)",
                self.names().join(", ")
            )),
        }
    }
}

/// `(templates, errors)`: [`Library::load`] as a pair.
pub fn load_all() -> (Vec<Template>, Vec<TemplateError>) {
    let lib = Library::load();
    (lib.templates, lib.errors)
}

impl Template {
    /// Parses a template from TOML text; `name` is what the file is called (without `.toml`).
    pub fn parse(text: &str, name: &str, source: Source) -> Result<Template, TemplateError> {
        parse_template(text, name, source)
    }

    /// The user file for template `name` in `dir`: refuses names that could leave the folder
    /// (`../x`, `a/b`, absolute paths) and files that are links pointing outside it.
    pub fn user_path(dir: &Path, name: &str) -> Result<PathBuf, String> {
        if !valid_template_name(name) {
            return Err(format!(
                "'{name}' is not a template name: use lowercase letters, digits, - and _ (no paths)"
            ));
        }
        let path = dir.join(format!("{name}.toml"));
        if path.exists() {
            check_inside(dir, &path)?;
        }
        Ok(path)
    }

    /// The user's editable copy of this template (for `$EDITOR`): the user file itself, or a new
    /// copy of the built-in in `dir` (created with the folder when missing).
    pub fn ensure_user_file(&self, dir: &Path) -> Result<PathBuf, String> {
        let path = Template::user_path(dir, &self.name)?;
        if path.exists() {
            return Ok(path);
        }
        let text = match &self.source {
            Source::Builtin(file) => BUILTIN
                .iter()
                .find(|(f, _)| f == file)
                .map(|(_, t)| *t)
                .ok_or_else(|| format!("built-in {file} is missing"))?,
            Source::User(p) => {
                return Err(format!("{} no longer exists", p.display()));
            }
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

/// `path` must resolve (links followed) to a place inside `dir`.
fn check_inside(dir: &Path, path: &Path) -> Result<(), String> {
    let base = dir
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let real = path
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if real.starts_with(&base) {
        Ok(())
    } else {
        Err(format!(
            "refused: {} points outside the prompts folder (to {})",
            path.display(),
            real.display()
        ))
    }
}

fn read_user_dir(
    dir: &Path,
    errors: &mut Vec<TemplateError>,
) -> Vec<Result<Template, TemplateError>> {
    let file_err = |p: &Path, message: String| TemplateError {
        file: p.display().to_string(),
        line: None,
        field: None,
        message,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            errors.push(file_err(
                dir,
                format!("cannot read the prompts folder: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            check_inside(dir, &path).map_err(|m| file_err(&path, m))?;
            let meta = std::fs::metadata(&path).map_err(|e| file_err(&path, e.to_string()))?;
            if !meta.is_file() {
                return Err(file_err(&path, "not a regular file".into()));
            }
            if meta.len() > MAX_FILE_BYTES {
                return Err(file_err(
                    &path,
                    format!(
                        "{} bytes is too large for a template (limit 1 MiB)",
                        meta.len()
                    ),
                ));
            }
            let bytes = std::fs::read(&path).map_err(|e| file_err(&path, e.to_string()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| file_err(&path, "not valid UTF-8: save the file as UTF-8".into()))?;
            parse_template(&text, &stem, Source::User(path.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads() {
        let lib = Library::load_from(None);
        assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
        assert_eq!(lib.templates.len(), BUILTIN.len());
        for t in &lib.templates {
            assert!(
                t.examples.len() >= 6,
                "{} has {} examples",
                t.name,
                t.examples.len()
            );
        }
    }

    #[test]
    fn builtin_list_matches_the_prompts_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("prompts folder")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(f, _)| f.to_string()).collect();
        listed.sort();
        assert_eq!(
            on_disk, listed,
            "add new prompts/*.toml files to prompt/builtin.rs"
        );
    }
}
