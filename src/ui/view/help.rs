//! The `?` overlay: every binding of the current screen (or of the dialog it was opened from),
//! as configured.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::render::wrap::str_width;

pub fn render(app: &App, frame: &mut Frame, ctx: Option<Ctx>, scroll: u16, names: bool) {
    let th = &app.theme;
    let ctxs: Vec<Ctx> = match ctx {
        Some(Ctx::Templates | Ctx::TemplateVars) => {
            vec![Ctx::Templates, Ctx::TemplateVars, Ctx::Help]
        }
        Some(Ctx::Compare) => vec![
            Ctx::Compare,
            Ctx::CompareEdit,
            Ctx::ComparePicker,
            Ctx::ComparePrompt,
            Ctx::Help,
        ],
        Some(c) => vec![c, Ctx::Help],
        None => vec![
            Ctx::Global,
            Ctx::Input,
            Ctx::Transcript,
            Ctx::Sidebar,
            Ctx::Sessions,
            Ctx::Replay,
            Ctx::Help,
        ],
    };
    let mut lines = Vec::new();
    for c in ctxs {
        // The config table only where the names to put in it are shown.
        let head = if names {
            format!("{}  [keys.{}]", c.title(), c.name())
        } else {
            c.title().to_string()
        };
        lines.push(Line::styled(
            head,
            Style::default().fg(th.heading).add_modifier(Modifier::BOLD),
        ));
        let rows = app.keymap.help(c);
        let w = rows
            .iter()
            .map(|r| str_width(&r.keys))
            .max()
            .unwrap_or(0)
            .min(28);
        for r in rows {
            let pad = w.saturating_sub(str_width(&r.keys));
            let keys = Span::styled(
                format!("  {}{}  ", r.keys, " ".repeat(pad)),
                Style::default().fg(th.accent),
            );
            // Descriptions for reading; the names only when asked, as config.toml spells them.
            let what = if names {
                let keys: Vec<String> = r.keys.split(", ").map(|k| format!("{k:?}")).collect();
                let value = match &keys[..] {
                    [one] => one.clone(),
                    many => format!("[{}]", many.join(", ")),
                };
                Span::styled(format!("{} = {value}", r.name), Style::default().fg(th.fg))
            } else {
                Span::styled(r.help, Style::default().fg(th.fg))
            };
            lines.push(Line::from(vec![keys, what]));
        }
        lines.push(Line::default());
    }
    if ctx.is_some() {
        lines.push(Line::styled(
            format!(
                "{} quits from anywhere; {} stops a reply.",
                app.keymap.hint(Cmd::Quit),
                app.keymap.hint(Cmd::Interrupt)
            ),
            Style::default().fg(th.dim),
        ));
    }
    lines.push(Line::styled(
        format!(
            "Rebind in config.toml: [keys.<context>] then action = \"ctrl+x\" or a list; {} {} the names.",
            app.keymap.hint(Cmd::HelpNames),
            if names { "hides" } else { "shows" }
        ),
        Style::default().fg(th.dim),
    ));
    let area = frame.area();
    let h = area.height.saturating_sub(2).max(3);
    // The title says where the view is in the list when it does not fit.
    let rows = h.saturating_sub(2);
    let total = lines.len() as u16;
    let max = total.saturating_sub(rows);
    let top = scroll.min(max);
    let title = if max == 0 {
        "Key bindings · esc closes".to_string()
    } else {
        format!(
            "Key bindings · lines {}–{} of {total} ({}/{} scroll) · esc closes",
            top + 1,
            (top + rows).min(total),
            app.keymap.hint(Cmd::HelpUp),
            app.keymap.hint(Cmd::HelpDown)
        )
    };
    let inner = crate::ui::render::popup::popup(app, frame, 88, h, &title);
    frame.render_widget(Paragraph::new(lines).scroll((top, 0)), inner);
}
