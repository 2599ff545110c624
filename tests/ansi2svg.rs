//! `scripts/ansi2svg.py` (the converter `make screenshots` uses) on a fixed ANSI sample: colours
//! of every kind, bold, reverse, and each run at its column with its exact width, so box-drawing
//! borders line up.

use std::io::Write;
use std::process::{Command, Stdio};

fn convert(ansi: &str, cols: u16) -> String {
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ansi2svg.py"))
        .args(["--cols", &cols.to_string(), "--title", "sample"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the converter");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ansi.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn colours_bold_and_layout_survive() {
    let sample = concat!(
        "\x1b[38;2;143;161;179m┌ Chats ─┐\x1b[0m \x1b[1;38;5;196mbold red\x1b[0m\n",
        "\x1b[48;2;52;61;70m\x1b[32mA & <b>\x1b[49m\x1b[39m \x1b[7mrev\x1b[27m 中x\n",
    );
    let svg = convert(sample, 30);
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("<title>sample</title>"));
    // 24-bit and 256-colour text, bold.
    assert!(
        svg.contains(r##"fill="#8fa1b3">┌ Chats ─┐</text>"##),
        "{svg}"
    );
    assert!(
        svg.contains(r##"fill="#ff0000" font-weight="bold">bold red</text>"##),
        "{svg}"
    );
    // A background run is a rectangle of exactly its cells (7 columns of 8.4 px).
    assert!(
        svg.contains(r##"width="58.8" height="18.0" fill="#343d46"/>"##),
        "{svg}"
    );
    // Basic colours, escaped text.
    assert!(
        svg.contains(r##"fill="#00cd00">A &amp; &lt;b&gt;</text>"##),
        "{svg}"
    );
    // Reverse swaps text and background.
    assert!(svg.contains(r##"fill="#c0c5ce"/>"##), "{svg}");
    // Each run starts at its column: "bold red" at column 11 → 10 + 11 × 8.4.
    assert!(
        svg.contains(r#"<text x="102.4" y="23.5" textLength="67.2""#),
        "{svg}"
    );
    // A wide character takes two columns: "x" after "中" keeps the grid.
    assert!(svg.contains(" 中x</text>"), "{svg}");
}
