//! The one way howdah writes an export, from the CLI and the TUI alike: sessions as Markdown or
//! JSON, and evaluation predictions as CSV. Written atomically and private (0600 in a 0700
//! folder when it creates one), since exports carry whole conversations; a path without a
//! folder goes to the data folder's `exports/`, and the full path written is returned to say.

use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::export::{to_markdown, to_openai_json};
use super::format::Session;

/// What a session is exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Markdown, readable on its own
    Md,
    /// OpenAI chat-messages JSON with howdah's metadata
    Json,
}

impl ExportFormat {
    /// The file extension of the format.
    pub fn ext(self) -> &'static str {
        match self {
            ExportFormat::Md => "md",
            ExportFormat::Json => "json",
        }
    }

    /// A session in this format.
    pub fn render(self, s: &Session) -> String {
        match self {
            ExportFormat::Md => to_markdown(s),
            ExportFormat::Json => {
                let mut t = serde_json::to_string_pretty(&to_openai_json(s))
                    .unwrap_or_else(|_| "{}".into());
                t.push('\n');
                t
            }
        }
    }
}

/// The folder exports go to by default: `<data>/exports`.
pub fn exports_dir() -> PathBuf {
    crate::paths::data_dir().join("exports")
}

/// Where an export named `dest` goes: as given when it names a folder (`./x.md`, `/tmp/x.md`,
/// `~/x.md`), else into `exports_dir()`. A terminal app's working folder is no place the user
/// chose, so a bare file name never lands there.
pub fn resolve(dest: &str) -> PathBuf {
    let dest = dest.trim();
    if let (Some(rest), Some(home)) = (dest.strip_prefix("~/"), std::env::var_os("HOME")) {
        return PathBuf::from(home).join(rest);
    }
    let p = PathBuf::from(dest);
    let bare = p.parent().is_none_or(|d| d.as_os_str().is_empty());
    if bare {
        exports_dir().join(p)
    } else {
        p
    }
}

/// Writes `bytes` to `dest` atomically and privately; the error names the file.
pub fn write_export(dest: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    if dest.is_dir() {
        return Err(format!(
            "{} is a folder: give a file name in it",
            dest.display()
        ));
    }
    write_atomic(dest, bytes).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    // The path as a reader can find it again from anywhere.
    Ok(std::path::absolute(dest).unwrap_or_else(|_| dest.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_go_to_the_exports_folder_and_paths_stay() {
        assert_eq!(resolve("a.csv"), exports_dir().join("a.csv"));
        assert_eq!(resolve("/tmp/a.csv"), PathBuf::from("/tmp/a.csv"));
        assert_eq!(resolve("./a.csv"), PathBuf::from("./a.csv"));
    }

    #[cfg(unix)]
    #[test]
    fn exports_are_private_and_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("new/out.md");
        let written = write_export(&dest, b"hello").unwrap();
        assert_eq!(written, dest);
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello");
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let e = write_export(dir.path(), b"x").unwrap_err();
        assert!(e.contains("is a folder"), "{e}");
    }
}
