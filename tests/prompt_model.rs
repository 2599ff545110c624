//! Templates against the real models: `similar` selection with SmolLM2's embeddings, label
//! scoring of the built-in `sentiment` template with Gemma 3 270M in completion mode, and the
//! entity template's grammar producing JSON.

mod common;

use std::collections::BTreeMap;

use common::model;
use howdah::engine::{Engine, EngineSettings, Sampling};
use howdah::prompt::{
    count_sections, Embedder, EmbeddingCache, Library, Mode, RenderOptions, Selection, Source,
    Template,
};

/// `file` loaded with a 2048-token context (and the default thread count).
fn engine(file: &str) -> (Engine, howdah::engine::ModelInfo) {
    let settings = EngineSettings {
        n_ctx: Some(2048),
        ..EngineSettings::default()
    };
    common::loaded(model(file), settings)
}

const TOPICS: &str = r#"name = "topics"
description = "Which everyday topic a sentence is about"
task = "classify"
instruction = "Name the topic of each sentence."
input = "Sentence: {{text}}"
output = "Topic:"
labels = ["pets", "cars", "cooking", "money", "sport", "weather"]

[[examples]]
text = "The stock market fell sharply and my savings lost value."
output = "money"
[[examples]]
text = "My cat sleeps on the sofa all day and purrs when I stroke her."
output = "pets"
[[examples]]
text = "The car engine made a loud noise, so I took it to the mechanic."
output = "cars"
[[examples]]
text = "I baked fresh bread with flour, yeast and a pinch of salt."
output = "cooking"
[[examples]]
text = "The football team scored twice in the second half and won the match."
output = "sport"
[[examples]]
text = "Heavy rain and strong wind are expected all weekend."
output = "weather"
"#;

#[test]
fn similar_selection_picks_the_clearly_similar_example_and_caches_it() {
    let (engine, info) = engine("SmolLM2-135M-Instruct.Q4_1.gguf");
    let t = Template::parse(TOPICS, "topics", Source::Builtin("topics.toml")).unwrap();
    let cache = EmbeddingCache::new();
    let embedder = Embedder {
        model: info.path.display().to_string(),
        backend: &engine,
        cache: &cache,
        warning: None,
    };
    let opts = RenderOptions {
        shots: 1,
        selection: Selection::Similar,
        embedder: Some(&embedder),
        ..RenderOptions::defaults(&t, Mode::for_model(&info))
    };
    assert_eq!(opts.mode, Mode::Chat, "SmolLM2 has a chat template");
    let cases = [
        (
            "My kitten keeps chasing its tail and purring on my lap.",
            "pets",
        ),
        ("I need new tyres and the brakes on my car squeak.", "cars"),
        (
            "Stir the soup, add pepper and let the sauce simmer.",
            "cooking",
        ),
    ];
    for (input, want) in cases {
        let vars = BTreeMap::from([("text".to_string(), input.to_string())]);
        let r = t.render(&vars, &opts).expect("render");
        assert_eq!(t.examples[r.examples[0]].output, want, "input: {input}");
    }
    let (hits, misses) = cache.stats();
    // Six examples embedded once, plus three inputs; the second and third render hit the cache.
    assert_eq!(misses, 9);
    assert_eq!(hits, 12);
}

#[test]
fn sentiment_template_scores_clear_reviews_correctly_with_gemma_in_completion_mode() {
    let (engine, info) = engine("gemma-3-270m-q4_k_m.gguf");
    assert_eq!(
        Mode::for_model(&info),
        Mode::Completion,
        "the Gemma base model has no chat template"
    );
    let lib = Library::load_from(None);
    let t = lib.get("sentiment").unwrap();
    let opts = RenderOptions::defaults(t, Mode::Completion);
    assert_eq!((opts.shots, opts.selection), (4, Selection::Balanced));
    let reviews = [
        (
            "An absolute masterpiece. I loved every minute of it.",
            "positive",
        ),
        ("Terrible quality, it fell apart after one day.", "negative"),
        (
            "The best purchase I have made this year, highly recommended.",
            "positive",
        ),
        (
            "Awful film. Dull characters and a stupid ending.",
            "negative",
        ),
    ];
    let candidates = t.label_candidates(Mode::Completion);
    for (review, want) in reviews {
        let vars = BTreeMap::from([("text".to_string(), review.to_string())]);
        let r = t.render(&vars, &opts).unwrap();
        let s = engine
            .score(r.prompt.clone(), candidates.clone(), true)
            .unwrap();
        let best = s
            .candidates
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.prob.total_cmp(&b.1.prob))
            .map(|(i, _)| i)
            .unwrap();
        assert_eq!(t.labels[best], want, "{review}: {:?}", s.candidates);
    }
}

#[test]
fn entity_template_grammar_gives_json() {
    let (engine, info) = engine("SmolLM2-135M-Instruct.Q4_1.gguf");
    let lib = Library::load_from(None);
    let t = lib.get("entities-json").unwrap();
    let mode = Mode::for_model(&info);
    let vars = BTreeMap::from([(
        "text".to_string(),
        "Barack Obama spoke at Google in London.".to_string(),
    )]);
    let r = t.render(&vars, &RenderOptions::defaults(t, mode)).unwrap();
    let sampling: Sampling = t.sampling_for(mode);
    assert!(sampling.grammar.is_some());
    let done = engine
        .generate_one(r.prompt, sampling, |_| {})
        .expect("generate");
    let v: serde_json::Value = serde_json::from_str(done.text.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", done.text));
    for key in ["people", "organizations", "places"] {
        assert!(v[key].is_array(), "{key} in {v}");
    }
}

#[test]
fn section_token_counts_add_up_to_the_prompt_in_completion_mode() {
    let (engine, info) = engine("gemma-3-270m-q4_k_m.gguf");
    let lib = Library::load_from(None);
    let t = lib.get("topic").unwrap();
    let vars = BTreeMap::from([(
        "text".to_string(),
        "Rain delays the final day of the test match".to_string(),
    )]);
    let r = t
        .render(&vars, &RenderOptions::defaults(t, Mode::Completion))
        .unwrap();
    let c = count_sections(&engine, &info, &r).unwrap();
    assert!(c.system > 0 && c.examples > c.input && c.input > 0, "{c:?}");
    // The prompt adds BOS; sections split at blank lines, so token merges across them are rare.
    let sum = c.system + c.examples + c.input;
    assert!(c.total.abs_diff(sum + 1) <= 2, "{c:?}");
    assert_eq!(c.n_ctx, 2048);
    assert!((c.share() - c.total as f64 / 2048.0).abs() < 1e-9);
}
