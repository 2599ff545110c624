//! The template browser's background work, run by the runtime off the UI thread (or, for the
//! editor, with the terminal handed over): loading the library, the engine's part of a preview,
//! and editing a template file in `$EDITOR`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ratatui::DefaultTerminal;

use super::state::{Exact, PreviewRequest, Reloaded};
use crate::engine::{Engine, ModelInfo, Prompt};
use crate::prompt::{count_sections, Embedder, Library, RenderOptions, Rendered, Template};

/// What to open in the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum EditSource {
    /// A template: its user file (a built-in is copied to the prompts folder first).
    Template(Box<Template>),
    /// A user file that failed to load, to fix it.
    File(PathBuf),
}

/// Built-ins plus the user's folder.
pub fn load(dir: &Path) -> Library {
    Library::load_from(Some(dir))
}

/// Renders (when the request has no rendering yet: `similar` needs the model's embeddings),
/// then asks the engine for the exact prompt text and the tokens of each section. Only
/// tokenizes and embeds: nothing is decoded.
pub fn preview(
    engine: &Engine,
    info: &ModelInfo,
    req: PreviewRequest,
) -> Result<(Rendered, Exact), String> {
    let rendered = match req.rendered {
        Some(r) => r,
        None => {
            let embedder = Embedder::engine(engine, info);
            let opts = RenderOptions {
                shots: req.shots,
                selection: req.selection,
                seed: req.seed,
                mode: req.mode,
                exclude: Vec::new(),
                embedder: Some(&embedder),
            };
            req.template
                .render(&req.vars, &opts)
                .map_err(|e| e.to_string())?
        }
    };
    let text = match &rendered.prompt {
        Prompt::Raw(t) => t.clone(),
        chat => engine
            .render_prompt(chat.clone())
            .map_err(|e| format!("the chat template could not be applied: {e}"))?,
    };
    let tokens = count_sections(engine, info, &rendered)
        .map_err(|e| format!("counting tokens failed: {e}"))?;
    Ok((
        rendered,
        Exact {
            text,
            tokens,
            model: crate::ui::model_label::of(info),
        },
    ))
}

/// Opens the file in the editor with the terminal given back to it, restores the UI, and
/// reloads the library so the browser can show what the edit did.
pub fn edit(
    terminal: &mut DefaultTerminal,
    source: EditSource,
    dir: &Path,
    mouse: bool,
) -> Reloaded {
    let path = match source {
        EditSource::Template(t) => t.ensure_user_file(dir),
        EditSource::File(p) => Ok(p),
    };
    let (edited, error) = match path {
        Ok(p) => {
            let error = run_editor(terminal, &p, mouse).err();
            (Some(p), error)
        }
        Err(e) => (None, Some(e)),
    };
    Reloaded {
        lib: load(dir),
        edited,
        error,
    }
}

fn run_editor(terminal: &mut DefaultTerminal, path: &Path, mouse: bool) -> Result<(), String> {
    let cmd = crate::prompt::editor_command();
    crate::ui::terminal::suspend().map_err(|e| format!("cannot hand the terminal over: {e}"))?;
    let status = Command::new(&cmd[0]).args(&cmd[1..]).arg(path).status();
    let restored = crate::ui::terminal::resume(mouse);
    restored.map_err(|e| format!("cannot take the terminal back: {e}"))?;
    // The editor drew over the screen: the next frame must repaint every cell. (`resize` clears
    // and forgets the last frame without `clear`'s cursor query, which can time out here.)
    let size = terminal
        .size()
        .map_err(|e| format!("cannot read the terminal size: {e}"))?;
    terminal
        .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
        .map_err(|e| format!("cannot redraw the terminal: {e}"))?;
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("the editor '{}' failed ({s})", cmd.join(" "))),
        Err(e) => Err(format!(
            "cannot start the editor '{}': {e}; set $EDITOR",
            cmd.join(" ")
        )),
    }
}
