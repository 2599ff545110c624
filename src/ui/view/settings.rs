//! The settings panel: presets, every `Sampling` field, the engine settings that apply with a
//! model reload, and what is wrong with a value.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::engine_rows;
use crate::ui::keymap::Cmd;
use crate::ui::settings::{hint, SettingsForm, FIELDS};

pub fn render(app: &App, frame: &mut Frame, form: &SettingsForm) {
    let th = &app.theme;
    let k = &app.keymap;
    let names = app.presets.names();
    let preset = names.get(form.preset).cloned().unwrap_or_default();
    let user = if app.presets.is_user(&preset) {
        " (saved)"
    } else {
        ""
    };
    let dim = Style::default().fg(th.dim);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Preset  ", dim),
            Span::styled(
                format!("◀ {preset}{user} ▶"),
                Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("   in use: {}", app.conv().preset), dim),
        ]),
        Line::from(vec![
            Span::styled("Theme   ", dim),
            Span::styled(app.theme.name.clone(), Style::default().fg(th.accent)),
            Span::styled(format!("   {} next theme", k.hint(Cmd::SettingsTheme)), dim),
        ]),
        Line::default(),
    ];
    for i in 0..form.values.len() {
        let f = form.field(i);
        if i == FIELDS.len() {
            lines.push(Line::default());
            lines.push(Line::styled(
                "Engine (applies with a model reload: enter on a row reloads)",
                dim,
            ));
        }
        let hint = if form.is_engine_row(i) {
            engine_rows::hint(f)
        } else {
            hint(f)
        };
        let sel = i == form.row;
        let bad = form.errors[i].is_some();
        let name_style = if sel {
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(th.fg)
        };
        let mut val_style = Style::default().fg(if bad { th.error } else { th.fg });
        if sel {
            val_style = val_style.bg(th.selection_bg);
        }
        let value = format!("{}{}", form.values[i], if sel { "▏" } else { "" });
        // Typed but not yet applied: say that enter (or leaving the field) applies it.
        let hint = if !bad && form.pending(i, &app.conv().sampling) {
            Span::styled(
                format!(" not applied yet: {} applies", k.hint(Cmd::FieldEnter)),
                Style::default().fg(th.warning),
            )
        } else {
            Span::styled(format!(" {hint}"), dim)
        };
        lines.push(Line::from(vec![
            Span::styled(if sel { "› " } else { "  " }, name_style),
            Span::styled(format!("{f:<18}"), name_style),
            Span::styled(format!("{value:<14}"), val_style),
            hint,
        ]));
        if let Some(e) = &form.errors[i] {
            lines.push(Line::styled(
                format!("    ✖ {e}"),
                Style::default().fg(th.error),
            ));
        }
    }
    lines.push(Line::default());
    if let Some(n) = &form.note {
        lines.push(Line::styled(n.clone(), Style::default().fg(th.success)));
    }
    lines.push(Line::styled(
        format!(
            "↑/↓ field · type to edit, {} or leaving the field applies · {}/{} preset · {} save preset · {} delete preset · {} close",
            k.hint(Cmd::FieldEnter),
            k.hint(Cmd::PresetPrev),
            k.hint(Cmd::PresetNext),
            k.hint(Cmd::PresetSave),
            k.hint(Cmd::PresetDelete),
            k.hint(Cmd::SettingsClose)
        ),
        dim,
    ));
    let h = lines.len() as u16 + 4;
    let inner = crate::ui::render::popup::popup(app, frame, 76, h, "Sampling settings");
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
