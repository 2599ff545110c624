//! Markdown events into the renderer's state: a start tag opens a container (quote, list,
//! item) or a style (heading, emphasis, link), its end closes it and ends the line or the
//! block; text, inline code, breaks, rules and HTML go into the current line.

use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use super::blocks::Table;
use super::{lang_of, Container, Renderer};
use crate::ui::render::wrap::LogicalLine;

impl Renderer<'_> {
    pub(super) fn event(&mut self, ev: Event) {
        let th = self.theme;
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {}
                Tag::Heading { level, .. } => {
                    self.flush();
                    let color = th.heading;
                    self.push_style(|s| {
                        let s = s.fg(color).add_modifier(Modifier::BOLD);
                        if level == HeadingLevel::H1 {
                            s.add_modifier(Modifier::UNDERLINED)
                        } else {
                            s
                        }
                    });
                }
                Tag::BlockQuote(_) => {
                    self.flush();
                    self.containers.push(Container::Quote);
                    let q = th.quote;
                    self.push_style(|s| s.fg(q).add_modifier(Modifier::ITALIC));
                }
                Tag::CodeBlock(kind) => {
                    self.flush();
                    self.code = Some((lang_of(&kind), String::new()));
                }
                Tag::List(start) => {
                    self.flush();
                    self.containers.push(Container::List(start));
                }
                Tag::Item => {
                    self.flush();
                    let marker = match self.containers.iter_mut().rev().find_map(|c| match c {
                        Container::List(n) => Some(n),
                        _ => None,
                    }) {
                        Some(Some(n)) => {
                            let m = format!("{n}. ");
                            *n += 1;
                            m
                        }
                        _ => "• ".to_string(),
                    };
                    self.containers.push(Container::Item {
                        marker,
                        shown: false,
                    });
                }
                Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
                Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
                Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
                Tag::Link { dest_url, .. } => {
                    self.links.push(dest_url.to_string());
                    let c = th.link;
                    self.push_style(|s| s.fg(c).add_modifier(Modifier::UNDERLINED));
                }
                Tag::Image { dest_url, .. } => {
                    self.links.push(dest_url.to_string());
                    let c = th.link;
                    self.push_style(|s| s.fg(c));
                    self.text("[image: ");
                }
                Tag::Table(aligns) => {
                    self.flush();
                    self.table = Some(Table {
                        aligns,
                        rows: Vec::new(),
                        header_rows: 0,
                    });
                }
                Tag::TableHead => {
                    if let Some(t) = self.table.as_mut() {
                        t.rows.push(Vec::new());
                        t.header_rows = t.rows.len();
                    }
                }
                Tag::TableRow => {
                    if let Some(t) = self.table.as_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                Tag::TableCell => {
                    if let Some(r) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                        r.push(Vec::new());
                    }
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => {
                    self.flush();
                    if !matches!(self.containers.last(), Some(Container::Item { .. })) {
                        self.blank();
                    }
                }
                TagEnd::Heading(_) => {
                    self.pop_style();
                    self.flush();
                    self.blank();
                }
                TagEnd::BlockQuote(_) => {
                    self.flush();
                    // The quote's last paragraph left a barred blank row: end the quote without it.
                    if self
                        .out
                        .last()
                        .is_some_and(|l| l.spans.is_empty() && l.rule.is_none())
                    {
                        self.out.pop();
                    }
                    self.pop_style();
                    self.containers.pop();
                    self.blank();
                }
                TagEnd::CodeBlock => self.end_code(),
                TagEnd::List(_) => {
                    self.flush();
                    self.containers.pop();
                    if !self
                        .containers
                        .iter()
                        .any(|c| matches!(c, Container::Item { .. }))
                    {
                        self.blank();
                    }
                }
                TagEnd::Item => {
                    self.flush();
                    self.containers.pop();
                }
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
                TagEnd::Link => {
                    self.pop_style();
                    let url = self.links.pop().unwrap_or_default();
                    let shown: String = self.spans.iter().map(|s| s.content.as_ref()).collect();
                    if !url.is_empty() && !shown.ends_with(&url) {
                        let dim = Style::default().fg(th.dim);
                        self.spans.push(Span::styled(format!(" ({url})"), dim));
                    }
                }
                TagEnd::Image => {
                    let url = self.links.pop().unwrap_or_default();
                    self.text(&format!(" {url}]"));
                    self.pop_style();
                }
                TagEnd::Table => self.end_table(),
                _ => {}
            },
            Event::Text(t) => match self.code.as_mut() {
                Some((_, code)) => code.push_str(&t),
                None => self.text(&t),
            },
            Event::Code(t) => {
                let st = self.style().fg(th.accent).bg(th.code_bg);
                match self.table.as_mut() {
                    Some(_) => {
                        let base = self.style();
                        self.styles.push(st);
                        self.text(&t);
                        self.styles.pop();
                        let _ = base;
                    }
                    None => self.spans.push(Span::styled(t.to_string(), st)),
                }
            }
            // A chat keeps the model's single line breaks (as llama.cpp's web UI does):
            // poems, addresses and step lists would otherwise run together.
            Event::SoftBreak if self.table.is_none() => self.flush(),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                let (first, cont) = self.prefixes_no_mark();
                self.out.push(LogicalLine {
                    first,
                    cont,
                    rule: Some(Style::default().fg(th.border)),
                    ..Default::default()
                });
                self.blank();
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::Html(t) | Event::InlineHtml(t) => {
                let dim = th.dim;
                self.push_style(|s| s.fg(dim));
                self.text(t.trim_end_matches('\n'));
                self.pop_style();
                if t.ends_with('\n') {
                    self.flush();
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => self.text(&t),
            Event::FootnoteReference(t) => self.text(&format!("[{t}]")),
        }
    }
}
