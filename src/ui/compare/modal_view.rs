//! The compare view's dialogs, drawn from the app's modal stack (`Modal::Compare`): the template
//! picker, the exact prompt a variant sent and the variant editor. Titles name the keys as
//! bound, so a rebinding in `config.toml` shows here.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::state::{CompareModal, Field};
use crate::ui::app::App;
use crate::ui::keymap::Cmd;
use crate::ui::render::popup::popup;

pub fn render(app: &App, frame: &mut Frame, m: &CompareModal) {
    let th = &app.theme;
    let Some(st) = app.compare.as_ref() else {
        return;
    };
    let k = &app.keymap;
    match m {
        CompareModal::Templates {
            templates,
            selected,
        } => {
            let title = format!(
                "Compare: pick a template · {}{} {} · {}",
                k.hint(Cmd::CmpPickPrev),
                k.hint(Cmd::CmpPickNext),
                k.hint(Cmd::CmpPick),
                k.hint(Cmd::CmpPickClose)
            );
            let inner = popup(app, frame, 70, templates.len() as u16 + 2, &title);
            let lines: Vec<Line> = templates
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let style = if i == *selected {
                        Style::default().fg(th.fg).bg(th.selection_bg)
                    } else {
                        Style::default().fg(th.fg)
                    };
                    Line::from(vec![
                        Span::styled(
                            format!(" {:<16}", t.name),
                            style.add_modifier(Modifier::BOLD),
                        ),
                        Span::styled(format!(" {:<9}", t.task.as_str()), style.fg(th.accent)),
                        Span::styled(
                            format!(" {}", crate::text::sanitize::sanitize_line(&t.description)),
                            style,
                        ),
                    ])
                })
                .collect();
            let max = (lines.len() as u16).saturating_sub(inner.height);
            let scroll = (*selected as u16)
                .saturating_sub(inner.height.saturating_sub(1))
                .min(max);
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
        }
        CompareModal::Prompt { column, scroll } => {
            let Some(c) = st.columns.get(*column) else {
                return;
            };
            let area = frame.area();
            let title = format!(
                "Prompt sent by {} · {}{} scroll · {}",
                c.spec.name(),
                k.hint(Cmd::CmpPromptUp),
                k.hint(Cmd::CmpPromptDown),
                k.hint(Cmd::CmpPromptClose)
            );
            let inner = popup(
                app,
                frame,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
                &title,
            );
            let text = c.prompt.clone().unwrap_or_default();
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .scroll((*scroll, 0)),
                inner,
            );
        }
        CompareModal::Variant { field } => {
            let Some(c) = st.columns.get(st.selected) else {
                return;
            };
            let title = format!(
                "Variant {} · {}{} field · {}{} value · {}",
                st.selected + 1,
                k.hint(Cmd::VarPrev),
                k.hint(Cmd::VarNext),
                k.hint(Cmd::VarDec),
                k.hint(Cmd::VarInc),
                k.hint(Cmd::VarClose)
            );
            let inner = popup(app, frame, 60, 8, &title);
            let lines: Vec<Line> = Field::ALL
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let value = match f {
                        Field::Shots => c.spec.shots.to_string(),
                        Field::Selection => c.spec.selection.as_str().to_string(),
                        Field::Preset => c.preset.clone(),
                        Field::Mode if c.mode_chosen => c.spec.mode.as_str().to_string(),
                        Field::Mode => format!("the model's own ({})", c.spec.mode.as_str()),
                        Field::Model => match &c.model {
                            Some(m) => m.short(),
                            None if st.models.is_empty() => "loaded model (looking…)".into(),
                            None => "loaded model".into(),
                        },
                    };
                    let style = if i == *field {
                        Style::default().fg(th.fg).bg(th.selection_bg)
                    } else {
                        Style::default().fg(th.fg)
                    };
                    Line::styled(format!(" {:<16} ‹ {value} ›", f.name()), style)
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }
}
