//! Small dialogs: the multi-line text editor, the one-line name prompt and yes/no questions.

use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use ratatui_textarea::TextArea;

use crate::ui::app::{App, Ask, EditTarget};
use crate::ui::keymap::Cmd;

pub fn editor(app: &App, frame: &mut Frame, target: EditTarget, text: &TextArea) {
    let k = &app.keymap;
    let what = match target {
        EditTarget::SystemPrompt => "System prompt",
        EditTarget::Grammar => "GBNF grammar (root rule `root`; empty = none)",
    };
    let title = format!(
        "{what} · {} save · {} cancel",
        k.hint(Cmd::EditorSave),
        k.hint(Cmd::EditorCancel)
    );
    let area = frame.area();
    let inner = crate::ui::render::popup::popup(
        app,
        frame,
        area.width.saturating_sub(8).max(20),
        area.height.saturating_sub(6).max(5),
        &title,
    );
    frame.render_widget(text, inner);
}

pub fn ask(app: &App, frame: &mut Frame, ask: Ask, text: &TextArea, error: Option<&str>) {
    let k = &app.keymap;
    // The title names the question; what it takes and the keys go on a line inside, so neither
    // is cut by the border.
    let (what, detail) = match ask {
        Ask::RenameChat(_) => ("Rename conversation", None),
        Ask::PresetName => ("Save settings as preset named", None),
        Ask::PullModel => (
            "Pull from Hugging Face",
            Some("OWNER/NAME[:QUANT], e.g. bartowski/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M"),
        ),
        Ask::SessionTitle => ("Session title", Some("empty: the first user line")),
        Ask::ComparePath(crate::ui::compare::state::PathFor::EvalData) => (
            "Evaluate on data",
            Some("CSV with header or JSONL; text, label"),
        ),
        Ask::ComparePath(crate::ui::compare::state::PathFor::Predictions) => {
            ("Save per-row predictions as CSV to", None)
        }
        Ask::SessionExport(crate::session::ExportFormat::Md) => ("Export as Markdown to", None),
        Ask::SessionExport(crate::session::ExportFormat::Json) => ("Export as JSON to", None),
    };
    let keys = format!(
        "{} ok · {} clear · {} cancel",
        k.hint(Cmd::PromptAccept),
        k.hint(Cmd::PromptClear),
        k.hint(Cmd::PromptCancel)
    );
    let hint = match detail {
        Some(d) => format!("{d} · {keys}"),
        None => keys,
    };
    let w = (hint.chars().count().max(what.chars().count()) as u16 + 6)
        .clamp(60, 100)
        .min(frame.area().width);
    // On a narrow screen the hint wraps rather than being cut.
    let mut hint_lines = Vec::new();
    crate::ui::render::wrap::wrap_line(
        &crate::ui::render::wrap::LogicalLine {
            spans: vec![ratatui::text::Span::styled(
                hint,
                Style::default().fg(app.theme.dim),
            )],
            ..Default::default()
        },
        usize::from(w.saturating_sub(2)),
        &mut hint_lines,
    );
    let hint_rows = hint_lines.len().clamp(1, 5) as u16;
    let inner = crate::ui::render::popup::popup(app, frame, w, 5 + hint_rows, what);
    let [field, err, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(hint_rows),
    ])
    .areas(inner);
    frame.render_widget(text, field);
    if let Some(e) = error {
        frame.render_widget(
            Paragraph::new(e.to_string())
                .style(Style::default().fg(app.theme.error))
                .wrap(Wrap { trim: true }),
            err,
        );
    }
    frame.render_widget(Paragraph::new(hint_lines), help);
}

pub fn confirm(app: &App, frame: &mut Frame, question: &str) {
    let k = &app.keymap;
    let lines = vec![
        Line::styled(question.to_string(), Style::default().fg(app.theme.fg)),
        Line::default(),
        Line::styled(
            format!(
                "{} yes · {} no",
                k.hint(Cmd::ConfirmYes),
                k.hint(Cmd::ConfirmNo)
            ),
            Style::default().fg(app.theme.dim),
        ),
    ];
    let w = (question.chars().count() as u16 + 6).clamp(30, 70);
    let inner = crate::ui::render::popup::popup(app, frame, w, 6, "Confirm");
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
