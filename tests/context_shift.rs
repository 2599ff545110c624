//! Context overflow on the real models: a chat that outgrows a small context shifts the KV cache
//! (only the new turn is decoded, the cells match the kept messages plus the new turn at
//! contiguous positions), re-decodes or stops as the policy says, reports prompt progress per
//! batch, and replays identically under each policy.

mod common;

use std::path::PathBuf;

use howdah::engine::{
    ChatMessage, ContextOverflow, DoneStats, Engine, EngineError, EngineSettings, EventKind,
    ModelInfo, OverflowReport, Prompt, Request, Sampling, Variant,
};

const SYSTEM: &str = "You are a helpful assistant.";

/// Fixed user turns, long enough that a 512-token context overflows after a few.
fn user_text(turn: usize) -> String {
    let topics = [
        "the history of tea and how it spread from China to the rest of the world",
        "how bridges carry their load and why arches are so strong",
        "what makes bread rise and how long dough should be kneaded",
        "how bees find flowers and tell each other where they are",
        "why the sky is blue during the day and red at sunset",
        "how a bicycle stays upright while it moves",
    ];
    format!(
        "Turn {turn}. Please explain {} in a short paragraph.",
        topics[(turn - 1) % topics.len()]
    )
}

fn load(path: PathBuf, n_ctx: u32, policy: ContextOverflow) -> (Engine, ModelInfo) {
    common::loaded(
        path,
        EngineSettings {
            threads: Some(2),
            n_ctx: Some(n_ctx),
            context_overflow: policy,
            ..EngineSettings::default()
        },
    )
}

struct Turn {
    done: DoneStats,
    overflow: Option<OverflowReport>,
    progress: Vec<(u32, u32)>,
}

fn turn(engine: &Engine, messages: &[ChatMessage], max_tokens: u32) -> Result<Turn, EngineError> {
    let request = Request::Generate {
        variants: vec![Variant {
            prompt: Prompt::Chat(messages.to_vec()),
            sampling: Sampling {
                max_tokens,
                ..Sampling::greedy()
            },
        }],
    };
    let mut overflow = None;
    let mut done = None;
    let mut progress = Vec::new();
    for ev in engine.run_blocking(request, |_| {})? {
        match ev.kind {
            EventKind::Overflow(r) => overflow = Some(r),
            EventKind::PromptProgress { done, total } => progress.push((done, total)),
            EventKind::Done(d) => done = Some(d),
            EventKind::Error { error, .. } => return Err(error),
            _ => {}
        }
    }
    Ok(Turn {
        done: done.expect("a reply"),
        overflow,
        progress,
    })
}

/// Plays turns until the chat has overflowed `after` times; checks the cache after each turn.
fn play_shifting(path: PathBuf, n_ctx: u32, after: usize) {
    let (engine, _) = load(path, n_ctx, ContextOverflow::Shift);
    let mut messages = vec![ChatMessage::system(SYSTEM)];
    // State size = a + b * cells: measured on the first two turns, checked on every later one.
    // With a sliding window the state is two parts: the full-attention layers hold every cell,
    // the sliding-window layers the last n_swa of them (llama.cpp leaves the others out).
    let mut sizes: Vec<(u64, u64, u64)> = Vec::new();
    let mut shifted = 0;
    let mut last_prompt = 0u32;
    for t in 1..=30 {
        messages.push(ChatMessage::user(user_text(t)));
        let full = engine.count_prompt(Prompt::Chat(messages.clone())).unwrap();
        let r = turn(&engine, &messages, 40).unwrap();
        let st = engine.context_state().unwrap();
        // Cells: the fitted prompt (kept messages plus the new turn) and the reply, at
        // positions 0..n with no gap.
        assert_eq!(st.cached_tokens, r.done.context_used, "turn {t}");
        // The last token of a reply cut by the limit was sampled but never decoded.
        let undecoded = u32::from(r.done.stop != howdah::engine::StopReason::Eos);
        assert_eq!(
            st.cached_tokens,
            r.done.prompt_tokens + r.done.generated_tokens - undecoded,
            "turn {t}: {:?}",
            r.done
        );
        assert_eq!(st.pos_max + 1, st.cached_tokens as i32, "turn {t}");
        let n = st.cached_tokens as u64;
        let in_window = if st.n_swa > 0 {
            n.min(st.n_swa as u64)
        } else {
            0
        };
        // Without a window, position 0 is held; with one it may be overwritten once outside.
        if st.n_swa == 0 || n <= st.n_swa as u64 {
            assert_eq!(st.pos_min, 0, "turn {t}: {st:?}");
        }
        let full_bytes = st.state_bytes - st.swa_state_bytes;
        if sizes.len() < 2 && r.overflow.is_none() && (st.n_swa == 0 || n < st.n_swa as u64) {
            sizes.push((n, full_bytes, st.swa_state_bytes));
        } else if sizes.len() == 2 {
            let (n1, f1, w1) = sizes[0];
            let (n2, f2, w2) = sizes[1];
            assert!(n2 > n1);
            let per = (f2 - f1) / (n2 - n1);
            assert_eq!(
                full_bytes,
                f1 + per * (n - n1),
                "turn {t}: the full-attention cache holds other cells than the {n} expected"
            );
            let per = (w2 - w1) / (n2 - n1);
            assert_eq!(
                st.swa_state_bytes,
                (w1 + per * in_window).saturating_sub(per * n1),
                "turn {t}: the sliding-window cache lacks some of the last {in_window} cells: {st:?}"
            );
        }
        if let Some(o) = &r.overflow {
            assert_eq!(o.applied, ContextOverflow::Shift, "turn {t}: {o:?}");
            assert!(o.shifted_out > 0 && o.shifted_kept > 0, "{o:?}");
            assert_eq!(o.dropped_messages, r.done.dropped_messages);
            // Only the turn's new tokens went through the model.
            let new = full - last_prompt;
            assert!(
                r.done.prompt_tokens_decoded <= 2 * new,
                "turn {t}: decoded {} for {new} new tokens",
                r.done.prompt_tokens_decoded
            );
            shifted += 1;
            if shifted == after {
                return;
            }
        }
        messages.push(ChatMessage::assistant(r.done.text.clone()));
        last_prompt = full;
    }
    panic!("the chat never overflowed {after} times");
}

#[test]
fn smollm2_shift_keeps_the_kept_cells_contiguous() {
    play_shifting(common::smollm2(), 512, 3);
}

#[test]
fn gemma3_shift_keeps_the_kept_cells_contiguous() {
    // 768 cells: more than Gemma 3's 512-token sliding window, so the window is in play.
    play_shifting(common::gemma(), 768, 1);
}

#[test]
fn redecode_decodes_the_kept_turns_again_and_stop_refuses() {
    let (engine, _) = load(common::smollm2(), 512, ContextOverflow::Redecode);
    let mut messages = vec![ChatMessage::system(SYSTEM)];
    let mut saw = false;
    for t in 1..=30 {
        messages.push(ChatMessage::user(user_text(t)));
        let r = turn(&engine, &messages, 40).unwrap();
        if let Some(o) = r.overflow {
            assert_eq!(o.applied, ContextOverflow::Redecode);
            assert_eq!(o.shifted_out, 0);
            let st = engine.context_state().unwrap();
            assert_eq!(st.pos_max + 1, st.cached_tokens as i32);
            // Everything after the system prompt went through the model again.
            assert!(
                r.done.prompt_tokens_decoded * 2 > r.done.prompt_tokens,
                "{:?}",
                r.done
            );
            saw = true;
            break;
        }
        messages.push(ChatMessage::assistant(r.done.text));
    }
    assert!(saw, "the chat never overflowed");

    let (engine, _) = load(common::smollm2(), 512, ContextOverflow::Stop);
    let mut messages = vec![ChatMessage::system(SYSTEM)];
    for t in 1..=30 {
        messages.push(ChatMessage::user(user_text(t)));
        match turn(&engine, &messages, 40) {
            Ok(r) => {
                assert!(r.overflow.is_none() && r.done.dropped_messages == 0);
                messages.push(ChatMessage::assistant(r.done.text));
            }
            Err(e) => {
                assert!(
                    matches!(e, EngineError::ConversationFull { n_ctx: 512, .. }),
                    "{e}"
                );
                assert!(e.to_string().contains("context_overflow"), "{e}");
                return;
            }
        }
    }
    panic!("the stop policy never refused");
}

#[test]
fn a_long_prompt_reports_progress_per_batch_and_cancels_between_batches() {
    let engine = Engine::spawn().unwrap();
    engine
        .load(
            common::smollm2(),
            EngineSettings {
                threads: Some(2),
                n_ctx: Some(2048),
                n_batch: 256,
                ..EngineSettings::default()
            },
        )
        .unwrap();
    let long = "The quick brown fox jumps over the lazy dog. ".repeat(120);
    let messages = vec![ChatMessage::user(long.clone())];
    let total = engine.count_prompt(Prompt::Chat(messages.clone())).unwrap();
    let r = turn(&engine, &messages, 2).unwrap();
    let batches = total.div_ceil(256);
    let want: Vec<(u32, u32)> = (0..=batches)
        .map(|i| ((i * 256).min(total), total))
        .collect();
    assert_eq!(r.progress, want);
    assert_eq!(r.done.prompt_tokens_decoded, total);

    // A cancel while the prompt is read stops before the next batch; the cache keeps what was
    // decoded, so the same prompt afterwards decodes only the rest.
    engine.reset().unwrap();
    let messages = vec![ChatMessage::user(long + "Again.")];
    let (tx, rx) = std::sync::mpsc::channel();
    let id = engine.submit(
        Request::Generate {
            variants: vec![Variant {
                prompt: Prompt::Chat(messages.clone()),
                sampling: Sampling {
                    max_tokens: 2,
                    ..Sampling::greedy()
                },
            }],
        },
        tx,
    );
    let mut progress = Vec::new();
    let done = loop {
        let ev = rx.recv().unwrap();
        match ev.kind {
            EventKind::PromptProgress { done, .. } => {
                progress.push(done);
                if done > 0 {
                    engine.cancel(id);
                }
            }
            EventKind::Done(d) => break d,
            EventKind::Error { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    assert_eq!(done.stop, howdah::engine::StopReason::Cancelled);
    assert_eq!(done.generated_tokens, 0);
    let st = engine.context_state().unwrap();
    assert!(st.cached_tokens < total, "{st:?} {progress:?}");
    assert_eq!(st.cached_tokens, done.context_used);
    assert_eq!(st.pos_max + 1, st.cached_tokens as i32);
    let again = turn(&engine, &messages, 2).unwrap();
    assert_eq!(
        again.done.prompt_tokens_decoded + st.cached_tokens,
        again.done.prompt_tokens
    );
}
