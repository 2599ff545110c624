//! The one way the UI makes an editable text field (the chat input, dialog fields, template
//! variables): word-wrapped, cursor at the end.

use ratatui_textarea::{TextArea, WrapMode};

/// A text field holding `lines` (one empty line when none), cursor after the last character.
pub fn new_input(lines: Vec<String>) -> TextArea<'static> {
    let mut t = TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    t.set_wrap_mode(WrapMode::WordOrGlyph);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}
