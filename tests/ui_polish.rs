//! What a new user tripped over on the screens (issue 13, bugs 3 and 10): text cut at the right
//! edge, dialog titles cut by their border, ctrl+u in a prefilled prompt, the session list's
//! time after a rename, a cleared chat's title, sidebar marks and titles, the model's name and
//! the previous model's speed after a switch. Driven through `update` on ratatui's TestBackend.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{EventKind, StopReason, ThreadChoice};
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{Level, Screen};
use howdah::ui::sessions::state::SessionEvent;
use session_support::*;
use support::{info, Harness};

/// The screen's text with rows joined: wrapped text reads whole, cut text stays cut.
fn flowing(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_replay_intro_and_header_wrap_at_a_narrow_width() {
    let (mut h, store, _d) = harness(60, 24);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(store.open(&s.id).unwrap())),
        replay: true,
    }));
    assert_eq!(h.app.screen, Screen::Replay);
    let screen = h.screen();
    let text = flowing(&screen);
    for whole in [
        "and the new reply is compared with the recorded one.",
        "s switches settings",
    ] {
        assert!(text.contains(whole), "{whole:?} is cut:\n{screen}");
    }
}

#[test]
fn renaming_a_session_fits_the_title_clears_with_ctrl_u_and_updates_the_time() {
    let (mut h, store, _d) = harness(100, 16);
    saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(h.screen().contains("2026-03-14 09:05"));
    h.key(KeyCode::Char('r'), KeyModifiers::NONE);
    let screen = h.screen();
    // The title is whole, and the keys are whole on their own line.
    assert!(
        screen.contains("┤ Session title ├") || screen.contains(" Session title "),
        "{screen}"
    );
    assert!(
        screen.contains("empty: the first user line · enter ok · ctrl+u clear · esc cancel"),
        "{screen}"
    );
    assert!(screen.contains("How do tides work?"));
    // ctrl+u clears the prefilled title.
    h.ctrl('u');
    h.type_str("Tides");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    let screen = h.screen();
    assert!(screen.contains("Tides"), "{screen}");
    assert!(!screen.contains("TidesHow do"), "{screen}");
    assert!(
        !screen.contains("2026-03-14 09:05"),
        "the updated column shows the rename:\n{screen}"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(screen.contains(&today), "{screen}");
}

#[test]
fn dialog_titles_and_hints_fit_a_narrow_screen() {
    // The pull prompt's example and keys wrap inside the box.
    let mut h = Harness::new(40, 14);
    h.ctrl('o');
    h.act(Action::ModelsFound(vec![]));
    h.key(KeyCode::Enter, KeyModifiers::NONE); // the pull row asks for a name
    let screen = h.screen();
    let text = flowing(&screen);
    assert!(text.contains("Pull from Hugging Face"), "{screen}");
    assert!(
        text.contains("enter ok · ctrl+u clear · esc cancel"),
        "{screen}"
    );
    // A title longer than its box ends with "…" instead of running into the corner.
    let mut h = Harness::new(30, 12);
    h.ctrl('p');
    let screen = h.screen();
    let top = screen
        .lines()
        .find(|l| l.contains("System"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(top.contains("… ┐"), "{screen}");
}

#[test]
fn clearing_a_chat_resets_its_title() {
    let mut h = Harness::new(100, 20);
    let g = h.send("What is the tallest mountain?");
    h.stream(g, &[("Everest.", 0.9)]);
    h.done(g, StopReason::Eos);
    assert_eq!(h.app.conv().title, "What is the tallest mountain?");
    h.ctrl('l');
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(h.app.conv().messages.is_empty());
    assert_eq!(h.app.conv().title, "Chat 1");
    // The next first message names it again.
    let g = h.send("Name a river");
    h.done(g, StopReason::Eos);
    assert_eq!(h.app.conv().title, "Name a river");
}

#[test]
fn sidebar_cuts_long_titles_with_an_ellipsis_and_explains_its_marks() {
    let mut h = Harness::new(110, 20);
    let g = h.send("A very long first question about the history of the Roman empire");
    h.done(g, StopReason::Eos);
    // A second chat, leaving a draft in the first.
    h.type_str("half typed");
    h.ctrl('n');
    let screen = h.screen();
    assert!(screen.contains("✎ A very long first quest…│"), "{screen}");
    assert!(screen.contains("✎ unsent draft"), "{screen}");
}

#[test]
fn after_a_model_switch_the_old_speed_goes_and_the_model_has_one_name() {
    let mut h = Harness::new(120, 20);
    let g = h.send("hi");
    h.stream(g, &[("Hello", 0.9), (" there", 0.9)]);
    h.done(g, StopReason::Eos);
    let screen = h.screen();
    assert!(screen.contains("ttft"), "{screen}");
    // The status bar names the model by its file, as the picker and the sessions do.
    assert!(screen.contains(" smol │"), "{screen}");
    assert!(!screen.contains("SmolLM2 135M Instruct"), "{screen}");
    h.engine(
        Tag::Load,
        EventKind::Loaded(info("Gemma 3 270m", "gemma-3-270m-q4_k_m.gguf", 2048)),
    );
    let screen = h.screen();
    assert!(!screen.contains("ttft"), "{screen}");
    assert!(screen.contains("gemma-3-270m-q4_k_m"), "{screen}");
    assert!(!screen.contains("Gemma 3 270m"), "{screen}");
}

/// Rows (in the transcript, above the token panel) holding the token under the cursor.
fn cursor_rows(h: &Harness) -> Vec<u16> {
    let buf = h.term.backend().buffer();
    let area = h.app.chat.viewport.get();
    (area.y..area.y + area.height)
        .filter(|&y| {
            (area.x..area.x + area.width).any(|x| {
                buf[(x, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
            })
        })
        .collect()
}

#[test]
fn the_heat_map_scrolls_to_the_selected_token() {
    let mut h = Harness::new(60, 16);
    let g = h.send("count");
    let words: Vec<String> = (0..150).map(|i| format!("w{i} ")).collect();
    let pieces: Vec<(&str, f32)> = words.iter().map(|w| (w.as_str(), 0.5)).collect();
    h.stream(g, &pieces);
    h.done(g, StopReason::Eos);
    h.ctrl('t');
    h.key(KeyCode::Tab, KeyModifiers::NONE); // the transcript
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.key(KeyCode::Left, KeyModifiers::NONE);
    h.screen();
    assert_eq!(h.app.conv().token_cursor, 0);
    assert_eq!(cursor_rows(&h).len(), 1, "{}", h.screen());
    for _ in 0..149 {
        h.key(KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(cursor_rows(&h).len(), 1, "{}", h.screen());
    }
    assert_eq!(h.app.conv().token_cursor, 149);
    for _ in 0..149 {
        h.key(KeyCode::Left, KeyModifiers::NONE);
        assert_eq!(cursor_rows(&h).len(), 1, "{}", h.screen());
    }
}

#[test]
fn help_says_where_it_is_and_hides_internal_names() {
    let mut h = Harness::new(100, 20);
    h.type_str("?");
    let screen = h.screen();
    assert!(screen.contains("Quit howdah"), "{screen}");
    assert!(!screen.contains("Quit howdah  quit"), "{screen}");
    let top = screen.lines().find(|l| l.contains("Key bindings")).unwrap();
    assert!(top.contains("lines 1–16 of "), "{screen}");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    let screen = h.screen();
    let top = screen.lines().find(|l| l.contains("Key bindings")).unwrap();
    assert!(top.contains("lines 4–19 of "), "{screen}");
    // Tab shows the names config.toml rebinds by.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Up, KeyModifiers::NONE);
    let screen = h.screen();
    assert!(screen.contains("quit = \"ctrl+q\""), "{screen}");
    assert!(screen.contains("[keys.global]"), "{screen}");
}

#[test]
fn the_start_screen_key_list_is_aligned() {
    let mut h = Harness::new(90, 30);
    let screen = h.screen();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("  pick a model") || l.contains("  quit") || l.contains("  all key"))
        .collect();
    assert_eq!(rows.len(), 3, "{screen}");
    // The descriptions start in one column.
    let col = |l: &str, what: &str| l.find(what).unwrap();
    let a = col(rows[0], "all key bindings");
    assert_eq!(col(rows[1], "pick a model"), a, "{screen}");
    assert_eq!(col(rows[2], "quit"), a, "{screen}");
}

#[test]
fn themes_paint_the_background_and_switch_at_run_time() {
    use ratatui::style::Color;
    let mut h = Harness::new(80, 20);
    let g = h.send("hi");
    h.stream(g, &[("Hello", 0.9)]);
    h.done(g, StopReason::Eos);
    let no_terminal_bg = |h: &mut Harness| {
        h.screen();
        let buf = h.term.backend().buffer();
        let area = buf.area;
        for y in 0..area.height {
            for x in 0..area.width {
                assert_ne!(
                    buf[(x, y)].bg,
                    Color::Reset,
                    "cell {x},{y} has no background"
                );
            }
        }
    };
    no_terminal_bg(&mut h);
    assert_eq!(h.app.theme.name, "dark");
    h.key(KeyCode::Char('t'), KeyModifiers::ALT);
    assert_eq!(h.app.theme.name, "light");
    no_terminal_bg(&mut h);
    assert_eq!(
        h.term.backend().buffer()[(40, 3)].bg,
        Color::Rgb(0xff, 0xff, 0xff)
    );
    // And from the settings panel.
    h.ctrl('s');
    assert!(h.screen().contains("Theme   light"));
    h.key(KeyCode::Char('t'), KeyModifiers::ALT);
    assert_eq!(h.app.theme.name, "high-contrast");
    assert!(h.screen().contains("Theme   high-contrast"));
}

/// A warning (a bad key binding in config.toml) stays on show when an info note comes after
/// it (the thread count moving with other programs' load): the info is counted, esc dismisses
/// the warning and the info shows.
#[test]
fn a_warning_stays_in_sight_when_an_info_note_comes_after_it() {
    let mut h = Harness::new(100, 30);
    let g = h.send("hi");
    h.stream(g, &[("hello", 0.9)]);
    h.done(g, StopReason::Eos);
    h.app
        .notify(Level::Warn, "line 3: [keys.global] `fly`: no such action");
    h.engine(
        Tag::Gen(g),
        EventKind::Threads(ThreadChoice {
            threads: 1,
            previous: 2,
            reason: "2 → 1 thread: a core is busy".into(),
        }),
    );
    let s = h.screen();
    assert!(s.contains("`fly`: no such action (+1 more)"), "{s}");
    assert!(!s.contains("a core is busy"), "{s}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let s = h.screen();
    assert!(!s.contains("no such action"), "{s}");
    assert!(s.contains("threads: 2 → 1 thread: a core is busy"), "{s}");
}

/// A thread count lowered at load for other programs' load is said as information (it goes at
/// the next key), not as a warning about a setting the engine overrode.
#[test]
fn a_lower_thread_count_at_load_is_information_not_a_warning() {
    let mut h = Harness::new(100, 30);
    let mut m = info("Gemma 3 270m", "gemma-3-270m-q4_k_m.gguf", 2048);
    m.threads = 1;
    m.threads_reason = Some("2 → 1 thread: a core is busy".into());
    h.engine(Tag::Load, EventKind::Loaded(m));
    let n = h.app.shown_notice().expect("a notice");
    assert_eq!(n.level, Level::Info, "{n:?}");
    assert_eq!(n.text, "threads: 2 → 1 thread: a core is busy");
    h.key(KeyCode::Char('a'), KeyModifiers::NONE);
    assert!(h.app.notices.is_empty(), "{:?}", h.app.notices);
}

/// Notes piling up under a warning (a finished run each, "copied"…) never push the warning out:
/// the oldest info note goes first when the list is full.
#[test]
fn piled_up_info_notes_never_push_out_a_warning() {
    let mut h = Harness::new(100, 30);
    h.app
        .notify(Level::Warn, "line 3: [keys.global] `fly`: no such action");
    for i in 0..30 {
        h.app.notify(Level::Info, format!("note {i}"));
    }
    let n = h.app.shown_notice().expect("a notice");
    assert_eq!(n.level, Level::Warn, "{:?}", h.app.notices);
    assert!(h.app.notices.len() <= 20);
    assert_eq!(h.app.notices.last().unwrap().text, "note 29");
}
