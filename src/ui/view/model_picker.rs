//! The model picker: discovered GGUF files with size, quantization, context and chat template
//! (embedding models marked, dimmed and not loaded for chat), and a last row to pull one from
//! Hugging Face (with the download's progress while it runs).

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::text::{human_bytes, human_params};
use crate::ui::app::{App, ModelPicker};
use crate::ui::keymap::Cmd;

pub fn render(app: &App, frame: &mut Frame, p: &ModelPicker) {
    let th = &app.theme;
    let k = &app.keymap;
    let dim = Style::default().fg(th.dim);
    let area = frame.area();
    let mut lines = Vec::new();
    match &p.models {
        None => lines.push(Line::styled("Looking for models…", dim)),
        Some(m) if m.is_empty() => {
            lines.push(Line::styled(
                "No GGUF models found.",
                Style::default().fg(th.warning),
            ));
            lines.push(Line::styled(
                "Run `make models`, put .gguf files in the data folder's models/, or start with --models-dir DIR.",
                dim,
            ));
            lines.push(Line::default());
            lines.extend(pull_row(app, p.selected == 0));
        }
        Some(models) => {
            lines.push(Line::styled(
                format!(
                    "  {:<34} {:>8} {:>6} {:>9} {:>7}  {}",
                    "name", "quant", "params", "size", "context", "chat template"
                ),
                dim.add_modifier(Modifier::BOLD),
            ));
            let current = app.model.as_ref().map(|m| &m.path);
            let rows = area.height.saturating_sub(10).max(1) as usize;
            let start = p.selected.saturating_sub(rows.saturating_sub(1));
            for (i, f) in models.iter().enumerate().skip(start).take(rows) {
                let sel = i == p.selected;
                let mark = if Some(&f.path) == current {
                    "● "
                } else if sel {
                    "› "
                } else {
                    "  "
                };
                let mut style = Style::default().fg(th.fg);
                if sel {
                    style = style.bg(th.selection_bg).add_modifier(Modifier::BOLD);
                }
                let line = match &f.info {
                    Ok(m) => {
                        let name = crate::ui::render::wrap::fit(&crate::ui::model_label::of(m), 34);
                        let ctx = if m.context_trained > 0 {
                            m.context_trained.to_string()
                        } else {
                            "?".into()
                        };
                        let tmpl = match m.pooling {
                            Some(p) => format!("embedding ({p}), no chat"),
                            None => m.chat_format.short_label(26),
                        };
                        if m.pooling.is_some() {
                            style = style.fg(th.dim);
                        }
                        Line::from(vec![
                            Span::styled(mark, style.fg(th.accent)),
                            Span::styled(
                                format!(
                                    "{name:<34} {:>8} {:>6} {:>9} {:>7}  {tmpl}",
                                    m.quantization,
                                    human_params(m.parameters),
                                    human_bytes(m.file_size),
                                    ctx
                                ),
                                style,
                            ),
                        ])
                    }
                    Err(e) => Line::from(vec![
                        Span::styled(mark, style.fg(th.accent)),
                        Span::styled(format!("unusable: {e}"), style.fg(th.error)),
                    ]),
                };
                lines.push(line);
            }
            lines.extend(pull_row(app, p.selected == models.len()));
            if let Some(f) = models.get(p.selected) {
                lines.push(Line::default());
                // Where the loaded model runs (CPU or GPU layers), on its own line.
                let placed = app
                    .model
                    .as_ref()
                    .filter(|m| m.path == f.path)
                    .and_then(|m| m.offload.as_ref())
                    .map(|o| format!(" · loaded: {} ({})", o.label(), o.backend))
                    .unwrap_or_default();
                lines.push(Line::styled(format!("{}{placed}", f.path.display()), dim));
            }
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        format!(
            "↑/↓ choose · {} load (the current model stays if loading fails) · {} rescan · {} close",
            k.hint(Cmd::ModelLoad),
            k.hint(Cmd::ModelsRescan),
            k.hint(Cmd::ModelsClose)
        ),
        dim,
    ));
    let h = lines.len() as u16 + 2;
    let inner = crate::ui::render::popup::popup(app, frame, 100, h, "Models");
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// "+ pull from Hugging Face…", or the running download with a bar, or the last failure.
fn pull_row(app: &App, selected: bool) -> Vec<Line<'static>> {
    let th = &app.theme;
    let mut style = Style::default().fg(th.accent);
    if selected {
        style = style.bg(th.selection_bg).add_modifier(Modifier::BOLD);
    }
    let mark = if selected { "› " } else { "  " };
    let pull = &app.pull;
    let mut lines = vec![match &pull.running {
        Some(name) => Line::from(vec![
            Span::styled(mark, style),
            Span::styled(
                format!(
                    "pulling {name} {} {:>3.0}%  {} of {}",
                    super::status::bar(pull.ratio(), 20),
                    pull.ratio() * 100.0,
                    human_bytes(pull.done),
                    human_bytes(pull.total)
                ),
                style,
            ),
        ]),
        None => Line::from(vec![
            Span::styled(mark, style),
            Span::styled("+ pull from Hugging Face…", style),
        ]),
    }];
    let dim = Style::default().fg(th.dim);
    if let (Some(_), false) = (&pull.running, pull.file.is_empty()) {
        lines.push(Line::styled(
            format!(
                "    {} · the chat stays usable; enter on this row stops it",
                pull.file
            ),
            dim,
        ));
    } else if let Some(e) = &pull.error {
        lines.push(Line::styled(
            format!("    last pull failed: {e}"),
            Style::default().fg(th.error),
        ));
    } else if selected {
        lines.push(Line::styled(
            "    enter, then type OWNER/NAME[:QUANT] — a GGUF repository on huggingface.co",
            dim,
        ));
    }
    lines
}
