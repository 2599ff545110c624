#!/usr/bin/env python3
"""Renders a terminal screen captured with `tmux capture-pane -e` (text with SGR colour codes)
to SVG, keeping colours (16, 256 and 24-bit), bold, italic, underline, strike-through, reverse and
the box-drawing layout: every run of cells is placed at its column and stretched to its exact
width, so borders line up whatever font the viewer picks.

Usage: ansi2svg.py [--cols N] [--rows N] [--title T] < capture.ansi > screen.svg
Standard library only."""

import argparse
import html
import re
import sys
import unicodedata

CELL_W = 8.4  # px per column at FONT_SIZE in a typical monospace font (0.6 em)
CELL_H = 18.0
FONT_SIZE = 14
PAD = 10
DEFAULT_FG = "#c0c5ce"
DEFAULT_BG = "#1c2026"

# xterm's 16 colours.
BASIC = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "strike", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.strike = self.reverse = False

    def key(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def copy(self):
        s = Style()
        for k in self.__slots__:
            setattr(s, k, getattr(self, k))
        return s


def color_arg(params, i):
    """Reads an extended colour (5;n or 2;r;g;b) starting at params[i]; returns (colour, next)."""
    if i < len(params) and params[i] == 5 and i + 1 < len(params):
        return xterm256(params[i + 1]), i + 2
    if i < len(params) and params[i] == 2 and i + 3 < len(params):
        r, g, b = params[i + 1 : i + 4]
        return "#%02x%02x%02x" % (r, g, b), i + 4
    return None, len(params)


def apply_sgr(st, text):
    # tmux may write 38:2::r:g:b; treat ':' like ';' and drop empty colour-space fields.
    raw = text.replace("::", ":").replace(":", ";")
    params = [int(p) if p.isdigit() else 0 for p in raw.split(";")] if raw else [0]
    i = 0
    while i < len(params):
        p = params[i]
        i += 1
        if p == 0:
            st.reset()
        elif p == 1:
            st.bold = True
        elif p == 2:
            st.dim = True
        elif p == 3:
            st.italic = True
        elif p == 4:
            st.underline = True
        elif p == 7:
            st.reverse = True
        elif p == 9:
            st.strike = True
        elif p == 22:
            st.bold = st.dim = False
        elif p == 23:
            st.italic = False
        elif p == 24:
            st.underline = False
        elif p == 27:
            st.reverse = False
        elif p == 29:
            st.strike = False
        elif 30 <= p <= 37:
            st.fg = BASIC[p - 30]
        elif p == 38:
            st.fg, i = color_arg(params, i)
        elif p == 39:
            st.fg = None
        elif 40 <= p <= 47:
            st.bg = BASIC[p - 40]
        elif p == 48:
            st.bg, i = color_arg(params, i)
        elif p == 49:
            st.bg = None
        elif 90 <= p <= 97:
            st.fg = BASIC[p - 90 + 8]
        elif 100 <= p <= 107:
            st.bg = BASIC[p - 100 + 8]


def width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;:?]*[A-Za-z]|\][^\x07]*\x07|.)")


def parse(text):
    """Rows of cells (char, Style) from the captured text."""
    rows = []
    st = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            if line[pos] == "\x1b":
                m = SGR.match(line, pos)
                if m:
                    apply_sgr(st, m.group(1))
                    pos = m.end()
                    continue
                m = OTHER.match(line, pos)
                pos = m.end() if m else pos + 1
                continue
            ch = line[pos]
            pos += 1
            if ch == "\r" or (ord(ch) < 32 and ch != "\t"):
                continue
            w = width(ch)
            if w == 0 and cells:
                cells[-1] = (cells[-1][0] + ch, cells[-1][1])
                continue
            cells.append((ch, st.copy()))
            if w == 2:
                cells.append(("", st.copy()))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def colours(st, default_fg, default_bg):
    fg, bg = st.fg or default_fg, st.bg or default_bg
    if st.reverse:
        fg, bg = bg, fg
    return fg, bg


def render(rows, cols, nrows, title, default_fg=DEFAULT_FG, default_bg=DEFAULT_BG):
    cols = cols or max((len(r) for r in rows), default=80)
    nrows = nrows or len(rows)
    w = PAD * 2 + cols * CELL_W
    h = PAD * 2 + nrows * CELL_H
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" width="%.0f" height="%.0f" viewBox="0 0 %.1f %.1f">'
        % (w, h, w, h),
        "<title>%s</title>" % html.escape(title),
        "<style>text{font-family:'DejaVu Sans Mono','Menlo','Consolas','Liberation Mono',monospace;"
        "font-size:%dpx;white-space:pre}</style>" % FONT_SIZE,
        '<rect width="100%%" height="100%%" rx="6" fill="%s"/>' % default_bg,
    ]
    for y, cells in enumerate(rows[:nrows]):
        cells = cells + [(" ", Style())] * (cols - len(cells))
        top = PAD + y * CELL_H
        # Backgrounds: one rectangle per run of one colour.
        x = 0
        while x < cols:
            bg = colours(cells[x][1], default_fg, default_bg)[1]
            end = x
            while end < cols and colours(cells[end][1], default_fg, default_bg)[1] == bg:
                end += 1
            if bg != default_bg:
                out.append(
                    '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                    % (PAD + x * CELL_W, top, (end - x) * CELL_W, CELL_H, bg)
                )
            x = end
        # Text: one element per run of one style, placed at its column, stretched to its width.
        x = 0
        while x < cols:
            st = cells[x][1]
            end = x
            while end < cols and cells[end][1].key() == st.key():
                end += 1
            chars = "".join(c for c, _ in cells[x:end])
            # Trailing blanks are background only: leave them out of the text (and its width).
            trimmed = chars.rstrip(" ")
            span = (end - x) - (len(chars) - len(trimmed))
            chars = trimmed
            if chars.strip():
                fg = colours(st, default_fg, default_bg)[0]
                attrs = ['fill="%s"' % fg]
                if st.bold:
                    attrs.append('font-weight="bold"')
                if st.italic:
                    attrs.append('font-style="italic"')
                if st.dim:
                    attrs.append('opacity="0.7"')
                deco = [d for d, on in (("underline", st.underline), ("line-through", st.strike)) if on]
                if deco:
                    attrs.append('text-decoration="%s"' % " ".join(deco))
                out.append(
                    '<text x="%.1f" y="%.1f" textLength="%.1f" lengthAdjust="spacingAndGlyphs" %s>%s</text>'
                    % (
                        PAD + x * CELL_W,
                        top + CELL_H * 0.75,
                        span * CELL_W,
                        " ".join(attrs),
                        html.escape(chars, quote=False),
                    )
                )
            x = end
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cols", type=int, default=0)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--title", default="howdah")
    ap.add_argument("--fg", default=DEFAULT_FG, help="the terminal's own text colour")
    ap.add_argument("--bg", default=DEFAULT_BG, help="the terminal's own background")
    a = ap.parse_args()
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    sys.stdout.write(render(parse(text), a.cols, a.rows, a.title, a.fg, a.bg))


if __name__ == "__main__":
    main()
