//! Keeps the heat-map's selected token on screen: moving the token cursor scrolls the
//! transcript to the row that holds it (a long reply's later tokens were otherwise off-screen).

use ratatui::style::Modifier;

use super::conversation::Scroll;
use crate::ui::app::App;
use crate::ui::render::transcript::{follow_top, message_lines, top};

/// Scrolls so the row of the token under the cursor is visible; nothing when it already is.
pub fn reveal_token(app: &mut App) {
    let area = app.chat.viewport.get();
    let (width, rows) = (area.width, area.height as usize);
    let conv = app.conv();
    if !app.chat.token_view || rows == 0 {
        return;
    }
    let Some(idx) = conv.focus_message() else {
        return;
    };
    // The cursor token is the one drawn reversed.
    let lines = message_lines(app, conv, idx, width);
    let Some(row) = lines.iter().position(|l| {
        l.spans
            .iter()
            .any(|s| s.style.add_modifier.contains(Modifier::REVERSED))
    }) else {
        return;
    };
    let h = |i: usize| message_lines(app, conv, i, width).len();
    let (m, l) = top(app, conv, width, rows);
    let above = (idx, row) < (m, l);
    // Rows from the top of the view down to the token's row.
    let below = !above && {
        let mut n = 0usize;
        let mut i = m;
        let mut from = l;
        while i < idx {
            n += h(i).saturating_sub(from);
            from = 0;
            i += 1;
        }
        n + row.saturating_sub(from) >= rows
    };
    let (tm, tl) = if above {
        (idx, row)
    } else if below {
        // The token's row becomes the last row shown.
        let (mut tm, mut tl, mut need) = (idx, row, rows - 1);
        while need > 0 {
            if tl >= need {
                tl -= need;
                need = 0;
            } else if tm == 0 {
                tl = 0;
                need = 0;
            } else {
                need -= tl + 1;
                tm -= 1;
                tl = h(tm).saturating_sub(1);
            }
        }
        (tm, tl)
    } else {
        return;
    };
    let ft = follow_top(app, conv, width, rows);
    app.conv_mut().scroll = if (tm, tl) >= ft {
        Scroll::Follow
    } else {
        Scroll::At { msg: tm, line: tl }
    };
}
