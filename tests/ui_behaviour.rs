//! Chat behaviour through `update`, with the scripted fake engine of `support`: conversations
//! keep their drafts, edit-and-resend, regenerate, stop, copy, quit confirmation, and rendering
//! at any size (including while streaming and with dialogs open) never panics.

mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{ChatMessage, Prompt, Role, StopReason};
use howdah::ui::action::Action;
use howdah::ui::effect::Effect;
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use support::{Harness, ANSWER};

fn generate_messages(fx: &[Effect]) -> Vec<ChatMessage> {
    fx.iter()
        .rev()
        .find_map(|e| match e {
            Effect::Generate {
                prompt: Prompt::Chat(messages),
                ..
            } => Some(messages.clone()),
            _ => None,
        })
        .expect("a Generate effect")
}

#[test]
fn switching_conversations_keeps_unsent_input() {
    let mut h = Harness::new(100, 30);
    h.type_str("half a thought");
    h.ctrl('n');
    assert_eq!(h.app.chat.convs.len(), 2);
    assert!(
        h.app.input_empty(),
        "a new conversation starts with an empty input"
    );
    h.type_str("other");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Tab, KeyModifiers::NONE); // the conversation list
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.chat.current, 0);
    assert_eq!(h.app.input_text(), "half a thought");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(h.app.input_text(), "other");
}

#[test]
fn edit_and_resend_replaces_the_rest() {
    let mut h = Harness::new(100, 30);
    let g = h.send("first question");
    h.stream(g, &[("first answer", 0.9)]);
    h.done(g, StopReason::Eos);
    let g = h.send("second question");
    h.stream(g, &[("second answer", 0.9)]);
    h.done(g, StopReason::Eos);
    // Select the first question in the transcript and edit it.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    for _ in 0..3 {
        h.key(KeyCode::Up, KeyModifiers::NONE);
    }
    assert_eq!(h.app.chat.convs[0].selected, Some(0));
    h.key(KeyCode::Char('e'), KeyModifiers::NONE);
    assert_eq!(h.app.input_text(), "first question");
    for _ in 0.."first question".len() {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.type_str("better question");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let msgs = generate_messages(&h.effects);
    assert_eq!(msgs, vec![ChatMessage::user("better question")]);
    let conv = &h.app.chat.convs[0];
    assert_eq!(conv.messages.len(), 2);
    assert_eq!(conv.messages[0].body.text, "better question");
}

#[test]
fn regenerate_replaces_the_last_reply() {
    let mut h = Harness::new(100, 30);
    let g = h.send("q");
    h.stream(g, &[("old", 0.9)]);
    h.done(g, StopReason::Eos);
    h.effects.clear();
    h.ctrl('r');
    let msgs = generate_messages(&h.effects);
    assert_eq!(msgs, vec![ChatMessage::user("q")]);
    let conv = &h.app.chat.convs[0];
    assert_eq!(conv.messages.len(), 2);
    assert_eq!(conv.messages[1].role, Role::Assistant);
    assert!(conv.messages[1].body.text.is_empty());
}

#[test]
fn esc_stops_and_late_tokens_of_old_replies_are_ignored() {
    let mut h = Harness::new(100, 30);
    let g = h.send("q");
    h.stream(g, &[("partial", 0.9)]);
    h.effects.clear();
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.effects, vec![Effect::Cancel { gen: g }]);
    h.done(g, StopReason::Cancelled);
    assert!(!h.app.generating());
    assert!(h.screen().contains("stopped"));
    // A straggler from the cancelled reply must not land in a new one.
    let g2 = h.send("again");
    h.stream(g, &[("stale", 0.9)]);
    h.stream(g2, &[("fresh", 0.9)]);
    assert_eq!(
        h.app.chat.convs[0].messages.last().unwrap().body.text,
        "fresh"
    );
}

#[test]
fn copy_happens_only_on_key_press() {
    let mut h = Harness::new(100, 30);
    let g = h.send("code please");
    h.stream(g, ANSWER);
    h.done(g, StopReason::Eos);
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Copy(_))));
    h.effects.clear();
    h.ctrl('k');
    assert_eq!(
        h.effects,
        vec![Effect::Copy("def add(a, b):\n    return a + b\n".into())]
    );
    h.effects.clear();
    h.ctrl('y');
    assert!(matches!(&h.effects[..], [Effect::Copy(t)] if t.starts_with("## Adding numbers")));
}

#[test]
fn ctrl_c_when_idle_asks_before_quitting() {
    let mut h = Harness::new(80, 20);
    h.ctrl('c');
    assert!(!h.app.quit);
    assert!(h.screen().contains("Quit howdah?"));
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(!h.app.quit);
    h.ctrl('c');
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(h.app.quit);
}

#[test]
fn delete_asks_and_removes_the_conversation() {
    let mut h = Harness::new(100, 30);
    h.ctrl('n');
    h.key(KeyCode::BackTab, KeyModifiers::SHIFT); // focus the list
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    assert!(h.screen().contains("Delete the conversation 'Chat 2'?"));
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs.len(), 1);
    assert_eq!(h.app.chat.convs[0].title, "Chat 1");
}

#[test]
fn scrolling_up_stops_following_and_end_resumes() {
    let mut h = Harness::new(60, 12);
    let g = h.send("long");
    h.stream(g, ANSWER);
    h.key(KeyCode::PageUp, KeyModifiers::NONE);
    assert_ne!(
        h.app.chat.convs[0].scroll,
        howdah::ui::chat::conversation::Scroll::Follow
    );
    // Everything above the status bar, whose context gauge moves with each token.
    let transcript = |h: &mut Harness| {
        let s = h.screen();
        s.lines()
            .take(s.lines().count() - 1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = transcript(&mut h);
    h.stream(g, &[("\n\nmore text arrives", 0.5)]);
    assert_eq!(
        before,
        transcript(&mut h),
        "a scrolled-up view stays put while text streams in"
    );
    for _ in 0..10 {
        h.key(KeyCode::PageDown, KeyModifiers::NONE);
    }
    assert_eq!(
        h.app.chat.convs[0].scroll,
        howdah::ui::chat::conversation::Scroll::Follow
    );
    assert!(h.screen().contains("more text arrives"));
}

#[test]
fn bad_config_starts_with_defaults_and_a_visible_warning() {
    let mut h = Harness::with_config(100, 20, "theme = \"dark\"\nmouze = true\n");
    let s = h.screen();
    assert!(s.contains("line 2") && s.contains("mouze"), "{s}");
}

#[test]
fn bad_key_binding_warns_and_keeps_the_default() {
    let mut h = Harness::with_config(120, 20, "[keys.global]\nquit = \"ctrl+shift+nope\"\n");
    assert!(h.screen().contains("unknown key 'nope'"));
    h.ctrl('q');
    assert!(h.app.quit);
}

#[test]
fn pasted_text_keeps_lines_and_drops_escapes() {
    let mut h = Harness::new(80, 20);
    let big = format!("line one\r\nline two\x1b[31m\n{}", "x".repeat(20_000));
    h.act(Action::Paste(big));
    let text = h.app.input_text();
    assert!(text.starts_with("line one\nline two[31m\n"));
    assert_eq!(text.len(), "line one\nline two[31m\n".len() + 20_000);
    h.screen();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn rendering_at_any_size_never_panics(w in 1u16..140, h in 1u16..50, dialog in 0usize..6, tokens in 0usize..12) {
        let mut t = Harness::new(80, 24);
        let g = t.send("a question with a long line that wraps and wraps and wraps");
        t.stream(g, &ANSWER[..tokens.min(ANSWER.len())]);
        match dialog {
            1 => t.type_str("?"),
            2 => t.ctrl('s'),
            3 => t.ctrl('o'),
            4 => t.ctrl('p'),
            5 => { t.ctrl('t'); t.key(KeyCode::Tab, KeyModifiers::NONE); }
            _ => {}
        }
        t.term = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.act(Action::Resize(w, h));
        t.screen();
        t.key(KeyCode::PageUp, KeyModifiers::NONE);
        t.stream(g, &[("more", 0.5)]);
        t.screen();
    }
}

#[test]
fn system_prompt_is_edited_per_conversation_and_sent() {
    let mut h = Harness::new(100, 30);
    h.ctrl('p');
    assert!(h.screen().contains("System prompt"));
    h.type_str("Answer in French.");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    h.type_str("Be brief.");
    h.ctrl('s');
    assert_eq!(
        h.app.chat.convs[0].system_prompt,
        "Answer in French.\nBe brief."
    );
    h.effects.clear();
    h.send("hello");
    assert_eq!(
        generate_messages(&h.effects),
        vec![
            ChatMessage::system("Answer in French.\nBe brief."),
            ChatMessage::user("hello")
        ]
    );
    // Another conversation has its own (empty) system prompt.
    h.ctrl('n');
    assert_eq!(h.app.chat.convs[1].system_prompt, "");
}

#[test]
fn clear_asks_then_empties_the_conversation() {
    let mut h = Harness::new(100, 30);
    let g = h.send("q");
    h.done(g, StopReason::Eos);
    h.ctrl('l');
    assert!(h.screen().contains("Clear all messages"));
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(h.app.chat.convs[0].messages.is_empty());
    assert!(h.screen().contains("Type a message below"));
}

#[test]
fn mouse_wheel_scrolls_the_transcript() {
    use crossterm::event::MouseEventKind;
    let mut h = Harness::new(60, 12);
    let g = h.send("long");
    h.stream(g, ANSWER);
    h.wheel(MouseEventKind::ScrollUp);
    assert_ne!(
        h.app.chat.convs[0].scroll,
        howdah::ui::chat::conversation::Scroll::Follow
    );
    for _ in 0..40 {
        h.wheel(MouseEventKind::ScrollDown);
    }
    assert_eq!(
        h.app.chat.convs[0].scroll,
        howdah::ui::chat::conversation::Scroll::Follow
    );
}

#[test]
fn history_recalls_sent_messages_when_the_input_is_empty() {
    let mut h = Harness::new(100, 30);
    let g = h.send("first");
    h.done(g, StopReason::Eos);
    let g = h.send("second");
    h.done(g, StopReason::Eos);
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.input_text(), "second");
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.input_text(), "first");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(h.app.input_text(), "");
}

#[test]
fn the_context_gauge_moves_while_a_reply_streams() {
    let mut h = Harness::new(120, 30);
    let n_ctx = h.app.model.as_ref().unwrap().n_ctx;
    let g = h.send("q");
    // The fake engine's tokens say 40, 41, 42 cells in use.
    h.stream(g, &[("one", 0.9), (" two", 0.8), (" three", 0.7)]);
    assert_eq!(h.app.conv().context_used, Some(42));
    let s = h.screen();
    assert!(s.contains(&format!(" 42/{n_ctx}")), "{s}");
    // The reply's end brings the engine's final figure.
    h.done(g, StopReason::Eos);
    let s = h.screen();
    assert!(s.contains(&format!(" 312/{n_ctx}")), "{s}");
}

#[test]
fn a_reply_whose_conversation_broke_the_template_says_so_in_the_status_bar() {
    let mut h = Harness::new(120, 30);
    let gen = h.send("hello");
    h.stream(gen, &[("Hi", 0.9)]);
    let text = h.app.chat.convs[h.app.chat.current]
        .messages
        .last()
        .unwrap()
        .body
        .text
        .clone();
    h.engine(
        howdah::ui::action::Tag::Gen(gen),
        howdah::engine::EventKind::Done(howdah::engine::DoneStats {
            seq: 0,
            stop: StopReason::Eos,
            text,
            prompt_tokens: 3,
            prompt_tokens_decoded: 3,
            generated_tokens: 1,
            ttft_ms: 1.0,
            prompt_tps: 1.0,
            gen_tps: 1.0,
            mean_logprob: -0.1,
            dropped_messages: 0,
            context_used: 4,
            template_fallback: Some(
                "template failed: no tools here (line 1); this prompt used llama.cpp's built-in layout"
                    .into(),
            ),
        }),
    );
    let screen = h.screen();
    assert!(
        screen.contains("chat template failed for this conversation"),
        "{screen}"
    );
}
