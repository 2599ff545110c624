//! End to end: the template browser of the real binary in a real terminal (tmux) with SmolLM2.
//! Opens the browser, sees the model's token counts, edits a built-in in `$EDITOR` (a script
//! that reads a line from the terminal, so stolen keystrokes would show), and checks that the
//! UI comes back fully repainted with the edit loaded, then quits to a sane terminal.

mod tmux;

use std::path::Path;

use tmux::Tmux;

const PROMPT: &str = "TPL-E2E$";

/// A stand-in for `$EDITOR`: shows a marker, reads one line from the terminal into `typed`,
/// then changes the template's shots from 4 to 3.
fn fake_editor(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("editor.sh");
    let typed = dir.join("typed.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho EDITOR-READY\nread line\necho \"$line\" > {}\nsed -i 's/^shots = 4/shots = 3/' \"$1\"\n",
            typed.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

#[test]
fn template_browser_edit_in_a_real_terminal() {
    let model = howdah::paths::models_dir().join(howdah::paths::DEFAULT_MODEL);
    assert!(
        model.is_file(),
        "{} is missing: run `make models`",
        model.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = (dir.path().join("data"), dir.path().join("config"));
    std::fs::create_dir_all(&config).unwrap();
    let editor = fake_editor(dir.path());
    let t = Tmux::start("howdah-tpl-e2e", PROMPT, 110, 36);
    t.wait_for("the shell", |s| s.contains(PROMPT));
    t.text(&format!(
        "HOWDAH_DATA_DIR={} HOWDAH_CONFIG_DIR={} EDITOR={} {} -m {}",
        data.display(),
        config.display(),
        editor.display(),
        env!("CARGO_BIN_EXE_howdah"),
        model.display()
    ));
    t.keys(&["Enter"]);
    t.wait_for("the model to load", |s| s.contains("● ready"));
    let s = t.wait_for("the way in on the welcome screen", |s| {
        s.contains("prompt templates")
    });
    assert!(s.contains("ctrl+g"), "{s}");

    t.keys(&["C-g"]);
    t.wait_for("the list", |s| {
        s.contains("arithmetic") && s.contains("sentiment")
    });
    for _ in 0..5 {
        t.keys(&["j"]);
    }
    let s = t.wait_for("the sentiment preview with token counts", |s| {
        s.contains("▸ sentiment") && s.contains("Tokens · ") && s.contains("<|im_start|>")
    });
    assert!(s.contains("shots 4/8"), "{s}");

    t.keys(&["e"]);
    t.wait_for("the editor", |s| s.contains("EDITOR-READY"));
    t.text("typed-into-the-editor");
    t.keys(&["Enter"]);
    let s = t.wait_for("the browser back with the edit", |s| {
        s.contains("is valid: 'sentiment' reloaded")
    });
    let typed = std::fs::read_to_string(dir.path().join("typed.txt")).unwrap();
    assert_eq!(
        typed.trim(),
        "typed-into-the-editor",
        "the editor got the keys"
    );
    // Fully repainted: the list, its border and the new shots, none of the editor's text.
    assert!(s.contains("arithmetic") && s.contains("shots 3/8"), "{s}");
    assert!(s.contains("│ sentiment"), "{s}");
    assert!(!s.contains("EDITOR-READY"), "{s}");
    let file = config.join("prompts").join("sentiment.toml");
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("shots = 3"));

    // Keys work after the editor: back to the chat, then quit to a sane terminal.
    t.keys(&["Escape"]);
    t.wait_for("the chat", |s| s.contains("Type a message below"));
    t.keys(&["C-q"]);
    t.assert_restored(&dir.path().join("stty.txt"));
}
