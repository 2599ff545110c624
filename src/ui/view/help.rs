//! The `?` overlay: every binding of the current screen (or of the dialog it was opened from),
//! as configured.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::wrap::str_width;

pub fn render(app: &App, frame: &mut Frame, ctx: Option<Ctx>, scroll: u16) {
    let th = &app.theme;
    let ctxs: Vec<Ctx> = match ctx {
        Some(Ctx::Templates | Ctx::TemplateVars) => {
            vec![Ctx::Templates, Ctx::TemplateVars, Ctx::Help]
        }
        Some(Ctx::Compare) => vec![Ctx::Compare, Ctx::CompareEdit, Ctx::Help],
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
        lines.push(Line::styled(
            format!("{}  [keys.{}]", c.title(), c.name()),
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
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}{}  ", r.keys, " ".repeat(pad)),
                    Style::default().fg(th.accent),
                ),
                Span::styled(r.help, Style::default().fg(th.fg)),
                Span::styled(format!("  {}", r.name), Style::default().fg(th.dim)),
            ]));
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
        "Rebind in config.toml: [keys.<context>] then action = \"ctrl+x\" or a list.",
        Style::default().fg(th.dim),
    ));
    let area = frame.area();
    let inner = super::popup(
        app,
        frame,
        88,
        area.height.saturating_sub(2).max(3),
        "Key bindings · esc closes",
    );
    let max = (lines.len() as u16).saturating_sub(inner.height);
    frame.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), inner);
}
