//! End to end in a real terminal (tmux) with SmolLM2: a 20 kB paste shows its token count in
//! the input box before it is sent; once sent, the reply area and the status bar show the
//! prompt being read batch by batch, and esc stops it.

mod tmux;

use tmux::Tmux;

const PROMPT: &str = "LONG-PROMPT$";

#[test]
fn a_big_paste_shows_its_token_count_and_the_prompt_reading_progress() {
    let model = howdah::paths::models_dir().join(howdah::paths::DEFAULT_MODEL);
    assert!(
        model.is_file(),
        "{} is missing: run `make models`",
        model.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = (dir.path().join("data"), dir.path().join("config"));
    std::fs::create_dir_all(&config).unwrap();
    let t = Tmux::start("howdah-long", PROMPT, 120, 30);
    t.wait_for("the shell", |s| s.contains(PROMPT));
    // Batches of 128 tokens: many progress steps even on a fast machine.
    let cmd = format!(
        "HOWDAH_DATA_DIR={} HOWDAH_CONFIG_DIR={} {} -m {} -c 8192 -b 128 -t 2",
        data.display(),
        config.display(),
        env!("CARGO_BIN_EXE_howdah"),
        model.display()
    );
    t.text(&cmd);
    t.keys(&["Enter"]);
    t.wait_for("the model to load", |s| s.contains("● ready"));

    let line = "The caravan crossed the desert at night, guided by the stars and old songs. ";
    let text: String = line.repeat(20_000 / line.len() + 1);
    assert!(text.len() >= 20_000);
    t.paste(&text);
    let s = t.wait_for("the token count in the input box", |s| {
        s.lines()
            .any(|l| l.trim_end().ends_with(" tokens") && l.contains("Message"))
    });
    let counted: String = s
        .lines()
        .find(|l| l.contains("Message"))
        .unwrap()
        .to_string();
    assert!(
        counted.chars().any(|c| c.is_ascii_digit()) && counted.contains(','),
        "the count has thousands: {counted}"
    );

    t.keys(&["Enter"]);
    let s = t.wait_for("the prompt reading progress", |s| {
        s.contains("reading prompt") && s.contains(" tokens (")
    });
    // Both in the reply area and in the status bar.
    assert!(
        s.matches("reading prompt").count() >= 2,
        "progress shown once only:\n{s}"
    );
    t.keys(&["Escape"]);
    t.wait_for("the reply to stop", |s| {
        s.contains("stopped") && s.contains("● ready") && !s.contains("reading prompt")
    });
    t.keys(&["C-q"]);
    t.wait_for_prompt();
}
