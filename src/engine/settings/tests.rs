//! The validation layer's unit tests: every source (flags, config, presets, sessions, GGUF
//! hyper-parameters) refused or clamped with a message naming it.

use super::*;
use crate::gguf::hparams::smollm2_fixture;

fn limits(available: u64) -> ModelLimits {
    ModelLimits {
        estimate: KvEstimate::new(&smollm2_fixture(), 100 << 20, 512),
        trained: 8192,
        available: Some(available),
    }
}

fn check(e: EngineSettings, source: Source) -> Result<Checked, SettingError> {
    Settings {
        engine: &e,
        sampling: None,
    }
    .validate(&source, Some(&limits(8 << 30)))
}

#[test]
fn small_batch_is_refused_from_flags_and_clamped_from_sessions() {
    let e = EngineSettings {
        n_batch: 1,
        ..EngineSettings::default()
    };
    let err = check(e.clone(), Source::Flags).unwrap_err();
    assert_eq!(err.key, Key::NBatch);
    let msg = err.to_string();
    assert!(msg.starts_with("--batch-size 1 is below 16"), "{msg}");
    // A stored session value is clamped, and said, so the session still replays.
    let c = check(e, Source::Session("abc".into())).unwrap();
    assert_eq!(c.engine.n_batch, 16);
    assert!(
        c.notes[0].starts_with("session abc: engine.n_batch = 1 is below 16"),
        "{:?}",
        c.notes
    );
}

#[test]
fn absurd_threads_are_refused_naming_the_flag() {
    let e = EngineSettings {
        threads: Some(100_000),
        ..EngineSettings::default()
    };
    let msg = check(e, Source::Flags).unwrap_err().to_string();
    assert!(msg.starts_with("--threads 100000: "), "{msg}");
    assert!(msg.contains(&format!("1 to {}", max_threads())), "{msg}");
    let e = EngineSettings {
        threads: Some(0),
        ..EngineSettings::default()
    };
    assert!(check(e, Source::Flags).is_err());
}

#[test]
fn tiny_context_is_clamped_and_said() {
    let e = EngineSettings {
        n_ctx: Some(1),
        ..EngineSettings::default()
    };
    let c = check(e, Source::Flags).unwrap();
    assert_eq!(c.engine.n_ctx, Some(64));
    assert_eq!(c.notes.len(), 1);
    assert!(c.notes[0].contains("--ctx-size 1") && c.notes[0].contains("64"));
}

#[test]
fn huge_context_is_refused_with_what_fits() {
    let e = EngineSettings {
        n_ctx: Some(4_000_000_000),
        ..EngineSettings::default()
    };
    let msg = check(e, Source::Flags).unwrap_err().to_string();
    assert!(msg.starts_with("--ctx-size 4000000000: "), "{msg}");
    assert!(msg.contains("tokens fit: use -c"), "{msg}");
}

#[test]
fn default_context_comes_from_the_model_and_memory() {
    let e = EngineSettings::default();
    let c = Settings {
        engine: &e,
        sampling: None,
    }
    .validate(&Source::Flags, Some(&limits(16 << 30)))
    .unwrap();
    assert_eq!(c.engine.n_ctx, Some(8192), "{}", c.ctx_reason);
    let c = Settings {
        engine: &e,
        sampling: None,
    }
    .validate(&Source::Flags, Some(&limits(300 << 20)))
    .unwrap();
    let n = c.engine.n_ctx.unwrap();
    assert!((256..8192).contains(&n), "{n}: {}", c.ctx_reason);
    assert!(c.ctx_reason.contains("memory"), "{}", c.ctx_reason);
}

#[test]
fn sampling_errors_name_the_source() {
    let s = Sampling {
        top_p: 3.0,
        ..Sampling::default()
    };
    let e = EngineSettings::default();
    let err = Settings {
        engine: &e,
        sampling: Some(&s),
    }
    .validate(&Source::Session("x1".into()), None)
    .unwrap_err();
    assert!(
        err.to_string().starts_with("session x1: sampling: top_p"),
        "{err}"
    );
}
