//! The adaptive thread count (issue 12, "no collapse on a busy CPU"): the load probe's
//! arithmetic on recorded /proc samples, and on the real models a context re-created with
//! another thread count (a core turning busy, then free, between turns) that continues the
//! conversation with the same greedy replies and no prompt decoded again, while a thread count
//! the user set never changes. The engine reads a recorded /proc (`HOWDAH_PROC_DIR`) here, so
//! the tests decide when a core is busy; nothing is timed.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use howdah::engine::cpu_load::{
    is_running, load_between, others_now, parse_self_stat, parse_stat, CpuTicks, Sample,
};
use howdah::engine::threads::{busy_cores, choose, reason};
use howdah::engine::{
    ChatMessage, ContextOverflow, DoneStats, Engine, EngineSettings, EventKind, Prompt, Request,
    Sampling, ThreadChoice, Variant,
};

/// A /proc/stat as a 2-CPU Linux machine writes it (recorded, then trimmed).
const STAT_A: &str = "cpu  33529 2119 6064 12020 251 0 77 110 0 0
cpu0 16822 774 2874 6497 56 0 7 55 0 0
cpu1 16706 1345 3189 5523 194 0 70 54 0 0
intr 286370 0 0 0
ctxt 472862
btime 1764999999
processes 9000
procs_running 6
procs_blocked 0
";

/// One second later (100 ticks per CPU): cpu0 ran 100 ticks, cpu1 40, of which this process
/// took 60; two tasks are runnable.
const STAT_B: &str = "cpu  33629 2119 6104 12080 251 0 77 110 0 0
cpu0 16922 774 2874 6497 56 0 7 55 0 0
cpu1 16726 1345 3209 5583 194 0 70 54 0 0
procs_running 2
";

/// /proc/self/stat with a command name holding spaces and parentheses; utime 500, stime 40.
const SELF_A: &str =
    "4242 (howdah (test) x) R 1 4242 4242 0 -1 4194304 900 0 0 0 500 40 0 0 20 0 9 0 100 0";
const SELF_B: &str =
    "4242 (howdah (test) x) S 1 4242 4242 0 -1 4194304 900 0 0 0 550 50 0 0 20 0 9 0 100 0";

fn sample(stat: &str, own: &str, running: u32) -> Sample {
    let (cpus, procs_running) = parse_stat(stat).expect("stat parses");
    Sample {
        cpus,
        procs_running,
        self_ticks: parse_self_stat(own).expect("self stat parses"),
        self_running: running,
    }
}

#[test]
fn the_probe_counts_other_programs_cores_from_recorded_samples() {
    let (cpus, running) = parse_stat(STAT_A).unwrap();
    assert_eq!(running, 6);
    // The aggregate "cpu" line is not a CPU; steal counts as busy, guest is not added twice.
    assert_eq!(
        cpus,
        vec![
            (
                0,
                CpuTicks {
                    busy: 16822 + 774 + 2874 + 7 + 55,
                    total: 16822 + 774 + 2874 + 7 + 55 + 6497 + 56
                }
            ),
            (
                1,
                CpuTicks {
                    busy: 16706 + 1345 + 3189 + 70 + 54,
                    total: 16706 + 1345 + 3189 + 70 + 54 + 5523 + 194
                }
            ),
        ]
    );
    assert_eq!(parse_self_stat(SELF_A), Some(540));
    assert!(is_running(SELF_A) && !is_running(SELF_B));
    assert_eq!(parse_stat("no cpus here\n"), None);
    assert_eq!(parse_self_stat("4242 (cut short) R 1"), None);

    let a = sample(STAT_A, SELF_A, 1);
    let b = sample(STAT_B, SELF_B, 1);
    let l = load_between(&a, &b, |_| true).unwrap();
    assert_eq!(l.cpus, 2);
    assert!((l.window_ticks - 100.0).abs() < 1e-9, "{l:?}");
    // 140 busy ticks on the two CPUs, 60 of them this process's: others kept 0.8 of a core.
    assert!((l.others - 0.8).abs() < 1e-9, "{l:?}");
    // Only CPU 1 allowed: 40 busy ticks, and this process's 60 cannot have been elsewhere.
    let only1 = load_between(&a, &b, |c| c == 1).unwrap();
    assert_eq!(only1.cpus, 1);
    assert_eq!(only1.others, 0.0);
    // No time passed, or no CPU in common: no window.
    assert_eq!(load_between(&a, &a, |_| true), None);
    assert_eq!(load_between(&a, &b, |c| c > 5), None);
    // The instant: runnable tasks less this process's (at least the reading thread).
    assert_eq!(others_now(&b), 1);
    assert_eq!(others_now(&sample(STAT_B, SELF_B, 0)), 1);
    assert_eq!(others_now(&sample(STAT_B, SELF_B, 3)), 0);
}

#[test]
fn busy_cores_round_with_hysteresis_and_threads_leave_them_free() {
    assert_eq!(busy_cores(0.1, None), 0);
    assert_eq!(busy_cores(0.5, None), 1);
    assert_eq!(busy_cores(0.8, None), 1);
    assert_eq!(busy_cores(1.7, None), 2);
    // Near a boundary the last count stands, so the context is not re-created at every turn.
    assert_eq!(busy_cores(0.6, Some(0)), 0);
    assert_eq!(busy_cores(0.7, Some(0)), 1);
    assert_eq!(busy_cores(0.4, Some(1)), 1);
    assert_eq!(busy_cores(0.3, Some(1)), 0);
    assert_eq!(busy_cores(-1.0, Some(1)), 0);

    assert_eq!(choose(2, 2, 0), 2);
    assert_eq!(choose(2, 2, 1), 1);
    assert_eq!(choose(2, 2, 2), 1, "never below one thread");
    assert_eq!(
        choose(8, 16, 3),
        8,
        "free logical CPUs beyond the cores add nothing"
    );
    assert_eq!(choose(8, 8, 3), 5);
    assert_eq!(choose(4, 2, 0), 2, "only the CPUs this process may use");

    assert_eq!(reason(2, 1, 2, 1), "2 → 1 thread: a core is busy");
    assert_eq!(reason(8, 5, 8, 3), "8 → 5 threads: 3 cores are busy");
    assert_eq!(reason(4, 2, 2, 0), "4 → 2 threads: only 2 CPUs usable");
    assert_eq!(reason(2, 2, 2, 0), "2 threads, one per physical core");
}

/// The recorded /proc this test binary's engines read, made once (the variable is read when an
/// engine starts, and every engine here shares the process environment).
fn proc_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("self")).unwrap();
        write_proc(d.path(), 0, 0, false);
        std::env::set_var("HOWDAH_PROC_DIR", d.path());
        d
    })
    .path()
}

/// Model tests one at a time: they move the same recorded clock.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the recorded /proc at `second` (100 ticks each): CPU 1 has run another program for
/// `busy` ticks in all, and is running it now when `now_busy`.
fn write_proc(dir: &Path, second: u64, busy: u64, now_busy: bool) {
    let t = 100_000 + second * 100;
    let stat = format!(
        "cpu  {busy} 0 0 {} 0 0 0 0 0 0\ncpu0 0 0 0 {t} 0 0 0 0 0 0\ncpu1 {busy} 0 0 {} 0 0 0 0 0 0\nprocs_running {}\n",
        2 * t - busy,
        t - busy,
        if now_busy { 2 } else { 1 }
    );
    std::fs::write(dir.join("stat"), stat).unwrap();
    std::fs::write(
        dir.join("self/stat"),
        "4242 (howdah) R 1 1 1 0 -1 0 0 0 0 0 300 20 0 0 20 0 9 0 100 0\n",
    )
    .unwrap();
}

const SYSTEM: &str = "You are a helpful assistant.";

fn user_text(turn: usize) -> String {
    let topics = [
        "how tides are caused by the moon",
        "why bread rises in the oven",
        "what a compiler does with source code",
        "how bees tell each other where flowers are",
    ];
    format!(
        "Turn {turn}: tell me {} in a few sentences.",
        topics[(turn - 1) % topics.len()]
    )
}

/// One greedy turn: its result and the thread change said before it, if any.
fn turn(engine: &Engine, messages: &[ChatMessage]) -> (DoneStats, Option<ThreadChoice>) {
    let request = Request::Generate {
        variants: vec![Variant {
            prompt: Prompt::Chat(messages.to_vec()),
            sampling: Sampling {
                max_tokens: 24,
                ..Sampling::greedy()
            },
        }],
    };
    let mut done = None;
    let mut threads = None;
    for ev in engine.run_blocking(request, |_| {}).expect("the turn runs") {
        match ev.kind {
            EventKind::Done(d) => done = Some(d),
            EventKind::Threads(c) => threads = Some(c),
            _ => {}
        }
    }
    (done.expect("a reply"), threads)
}

fn load(path: &Path, threads: Option<u32>) -> (Engine, u32) {
    let engine = Engine::spawn().unwrap();
    let info = engine
        .load(
            path.to_path_buf(),
            EngineSettings {
                threads,
                n_ctx: Some(512),
                context_overflow: ContextOverflow::Shift,
                ..EngineSettings::default()
            },
        )
        .unwrap();
    (engine, info.threads)
}

/// Plays one conversation on an automatic engine and on one the user gave 2 threads, with a
/// core turning busy before even turns and free before odd ones; -c 512 so it also overflows
/// (and shifts) on the way; three turns are played on the shifted cache.
fn busy_every_other_turn(path: PathBuf) {
    let dir = proc_dir();
    let _one = serial();
    write_proc(dir, 0, 0, false);
    let (auto, at_load) = load(&path, None);
    assert!(
        at_load >= 2,
        "this test needs a machine with 2 physical cores or more (the automatic count was {at_load})"
    );
    assert_eq!(at_load, 2, "the recorded /proc has 2 idle CPUs");
    let (asked, asked_threads) = load(&path, Some(2));
    assert_eq!(asked_threads, 2);

    let mut messages = vec![ChatMessage::system(SYSTEM)];
    let (mut second, mut busy_ticks) = (0, 0);
    let mut changes = 0;
    let mut overflowed = false;
    let mut prev_prompt = 0;
    let mut after_overflow = 0;
    let mut played = 0;
    // Until two turns past the overflow (on a shifted cache), or 20 turns.
    for t in 1..=20 {
        played = t;
        // Ten seconds pass between turns; before even turns CPU 1 was busy all of them.
        second += 10;
        let busy = t % 2 == 0;
        if busy {
            busy_ticks += 1000;
        }
        write_proc(dir, second, busy_ticks, busy);
        messages.push(ChatMessage::user(user_text(t)));
        let (a, a_threads) = turn(&auto, &messages);
        let (b, b_threads) = turn(&asked, &messages);
        let label = format!("{} turn {t}", path.display());
        // The count the user set never moves, whatever the load.
        assert_eq!(b_threads, None, "{label}");
        if t > 1 {
            let c = a_threads.unwrap_or_else(|| panic!("{label}: the count should change"));
            changes += 1;
            if busy {
                assert_eq!((c.previous, c.threads), (2, 1), "{label}");
                assert_eq!(c.reason, "2 → 1 thread: a core is busy", "{label}");
            } else {
                assert_eq!((c.previous, c.threads), (1, 2), "{label}");
                assert!(c.reason.contains("free again"), "{label}: {}", c.reason);
            }
        } else {
            assert_eq!(
                a_threads, None,
                "{label}: nothing moved before the first turn"
            );
        }
        // The re-created context continues exactly, and decodes what the kept one decodes:
        // only the new turn, never the conversation again.
        assert_eq!(a.text, b.text, "{label}");
        assert_eq!(a.dropped_messages, b.dropped_messages, "{label}");
        assert_eq!(a.prompt_tokens, b.prompt_tokens, "{label}");
        assert_eq!(a.prompt_tokens_decoded, b.prompt_tokens_decoded, "{label}");
        assert_eq!(a.context_used, b.context_used, "{label}");
        if t > 1 && a.dropped_messages == 0 {
            // The whole previous prompt came from the carried-over cache.
            assert!(
                a.prompt_tokens - a.prompt_tokens_decoded >= prev_prompt,
                "{label}: decoded {} of {}, the previous prompt had {prev_prompt}",
                a.prompt_tokens_decoded,
                a.prompt_tokens
            );
        }
        prev_prompt = a.prompt_tokens;
        overflowed |= a.dropped_messages > 0;
        if overflowed {
            after_overflow += 1;
        }
        messages.push(ChatMessage::assistant(a.text.clone()));
        if after_overflow == 3 {
            break;
        }
    }
    assert_eq!(changes, played - 1);
    assert!(
        overflowed,
        "{}: the chat should outgrow -c 512",
        path.display()
    );
    let (sa, sb) = (
        auto.context_state().unwrap(),
        asked.context_state().unwrap(),
    );
    assert_eq!(sa.cached_tokens, sb.cached_tokens);
    assert_eq!((sa.pos_min, sa.pos_max), (sb.pos_min, sb.pos_max));
}

#[test]
fn a_context_recreated_with_other_threads_continues_smollm2_exactly() {
    busy_every_other_turn(common::smollm2());
}

#[test]
fn a_context_recreated_with_other_threads_continues_gemma_exactly() {
    busy_every_other_turn(common::gemma());
}

#[test]
fn the_tui_says_a_thread_change_and_replies_record_the_new_count() {
    let mut h = support::Harness::new(120, 30);
    assert_eq!(h.app.model.as_ref().unwrap().threads, 2);
    let gen = h.send("hello");
    h.engine(
        howdah::ui::action::Tag::Gen(gen),
        EventKind::Threads(ThreadChoice {
            threads: 1,
            previous: 2,
            reason: "2 → 1 thread: a core is busy".into(),
        }),
    );
    // The model's facts follow, so the reply's record names the count it ran with.
    assert_eq!(h.app.model.as_ref().unwrap().threads, 1);
    let screen = h.screen();
    assert!(
        screen.contains("threads: 2 → 1 thread: a core is busy"),
        "{screen}"
    );
}
