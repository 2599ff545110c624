//! Rendering rules and example selection, without a model (a bag-of-words embedder stands in
//! for `similar`; the real-model case is in prompt_model.rs).

use std::cell::RefCell;
use std::collections::BTreeMap;

use howdah::engine::{EngineError, Prompt, Role};
use howdah::prompt::{
    Embedder, EmbeddingCache, Library, Mode, RenderError, RenderOptions, Selection, Template,
};

fn lib() -> Library {
    let lib = Library::load_from(None);
    assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
    lib
}

fn text(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("text".to_string(), v.to_string())])
}

fn opts(t: &Template, shots: usize, selection: Selection, seed: u64) -> RenderOptions<'static> {
    RenderOptions {
        shots,
        selection,
        seed,
        ..RenderOptions::defaults(t, Mode::Completion)
    }
}

fn labels_of(t: &Template, picked: &[usize]) -> Vec<String> {
    picked
        .iter()
        .map(|&i| t.examples[i].output.clone())
        .collect()
}

#[test]
fn first_takes_file_order() {
    let lib = lib();
    let t = lib.get("topic").unwrap();
    let r = t
        .render(&text("x"), &opts(t, 3, Selection::First, 9))
        .unwrap();
    assert_eq!(r.examples, vec![0, 1, 2]);
}

#[test]
fn random_is_deterministic_per_seed_and_distinct() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let pick = |seed| {
        t.render(&text("x"), &opts(t, 4, Selection::Random, seed))
            .unwrap()
            .examples
    };
    // SplitMix64 fixes these forever: a seed recorded in a session picks the same examples.
    assert_eq!(pick(7), pick(7));
    assert_eq!(pick(7), vec![7, 4, 2, 6]);
    let draws: Vec<Vec<usize>> = (0..8).map(pick).collect();
    for d in &draws {
        let mut s = d.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 4, "distinct examples: {d:?}");
        assert!(d.iter().all(|&i| i < t.examples.len()));
    }
    assert!(
        draws.iter().any(|d| d != &draws[0]),
        "seeds must change the draw"
    );
}

#[test]
fn balanced_rounds_over_labels_and_rotates_the_last_label() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let last_labels: Vec<String> = (1..=8)
        .map(|k| {
            let r = t
                .render(&text("x"), &opts(t, k, Selection::Balanced, 0))
                .unwrap();
            let labels = labels_of(t, &r.examples);
            let pos = labels.iter().filter(|l| *l == "positive").count();
            assert!(pos.abs_diff(k - pos) <= 1, "k={k}: {labels:?}");
            labels.last().unwrap().clone()
        })
        .collect();
    assert_eq!(
        last_labels,
        [
            "positive", "negative", "negative", "positive", "positive", "negative", "negative",
            "positive"
        ]
    );
    // Independent of the seed, so every input and seed shares the same prompt prefix.
    let a = t
        .render(&text("x"), &opts(t, 4, Selection::Balanced, 1))
        .unwrap();
    let b = t
        .render(&text("y"), &opts(t, 4, Selection::Balanced, 99))
        .unwrap();
    assert_eq!(a.examples, b.examples);

    let t3 = lib.get("sentiment-3way").unwrap();
    let r = t3
        .render(&text("x"), &opts(t3, 6, Selection::Balanced, 0))
        .unwrap();
    assert_eq!(
        labels_of(t3, &r.examples),
        ["positive", "negative", "neutral", "negative", "neutral", "positive"]
    );

    let gen = lib.get("en-fr").unwrap();
    let err = gen
        .render(&text("x"), &opts(gen, 2, Selection::Balanced, 0))
        .unwrap_err();
    assert!(
        matches!(err, RenderError::BalancedNeedsLabels { .. }),
        "{err}"
    );
}

/// A stand-in embedder: one dimension per word of a small vocabulary.
fn bag_of_words(texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
    const VOCAB: [&str; 8] = [
        "battery",
        "movie",
        "film",
        "sound",
        "headphones",
        "broke",
        "plot",
        "jokes",
    ];
    Ok(texts
        .iter()
        .map(|t| {
            let t = t.to_lowercase();
            VOCAB
                .iter()
                .map(|w| if t.contains(w) { 1.0 } else { 0.0 })
                .collect()
        })
        .collect())
}

#[test]
fn similar_picks_the_nearest_examples_most_similar_last_and_caches() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let calls = RefCell::new(Vec::new());
    let backend = |texts: &[String]| {
        calls.borrow_mut().push(texts.len());
        bag_of_words(texts)
    };
    let cache = EmbeddingCache::new();
    let embedder = Embedder {
        model: "bow".into(),
        backend: &backend,
        cache: &cache,
        warning: None,
    };
    let o = RenderOptions {
        embedder: Some(&embedder),
        ..opts(t, 2, Selection::Similar, 0)
    };
    let r = t
        .render(
            &text("New headphones: the sound is great, the battery weak."),
            &o,
        )
        .unwrap();
    // Example 2 shares "sound" and "headphones"; example 1 shares "battery".
    assert_eq!(r.examples, vec![1, 2]);
    let r2 = t
        .render(&text("The plot and the jokes fell flat."), &o)
        .unwrap();
    assert_eq!(
        *r2.examples.last().unwrap(),
        7,
        "the plot/jokes example is nearest: {:?}",
        r2.examples
    );
    assert_eq!(
        *calls.borrow(),
        vec![t.examples.len() + 1, 1],
        "examples are embedded once"
    );
    assert_eq!(
        cache.stats(),
        (t.examples.len() as u64, t.examples.len() as u64 + 2)
    );

    let none = opts(t, 2, Selection::Similar, 0);
    assert_eq!(
        t.render(&text("x"), &none).unwrap_err(),
        RenderError::NeedsEmbedder
    );
}

#[test]
fn variables_are_checked_by_name() {
    let lib = lib();
    let qa = lib.get("qa").unwrap();
    let only_q = BTreeMap::from([("question".to_string(), "Why?".to_string())]);
    let err = qa
        .render(&only_q, &RenderOptions::defaults(qa, Mode::Chat))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "template 'qa' needs the variable 'passage': pass it with --var passage=VALUE"
    );
    let t = lib.get("sentiment").unwrap();
    let err = t
        .render(
            &BTreeMap::from([("txt".to_string(), "x".to_string())]),
            &RenderOptions::defaults(t, Mode::Chat),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("has no variable 'txt' (its variables: text)"),
        "{err}"
    );
    let err = t
        .render(&text("x"), &opts(t, 9, Selection::First, 0))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("has 8 examples; cannot use 9 shots"),
        "{err}"
    );
}

#[test]
fn excluded_and_identical_examples_are_never_chosen() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let o = RenderOptions {
        exclude: vec![0, 2],
        ..opts(t, 3, Selection::First, 0)
    };
    assert_eq!(t.render(&text("x"), &o).unwrap().examples, vec![1, 3, 4]);
    // The input is example 1's text: it is left out rather than shown with its answer.
    let same = t.examples[1].vars.clone();
    let r = t.render(&same, &opts(t, 3, Selection::First, 0)).unwrap();
    assert_eq!(r.examples, vec![0, 2, 3]);
}

#[test]
fn completion_mode_ends_with_the_output_prefix_and_sections_add_up() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let r = t
        .render(
            &text("Fine."),
            &RenderOptions::defaults(t, Mode::Completion),
        )
        .unwrap();
    let Prompt::Raw(raw) = &r.prompt else {
        panic!("completion mode gives raw text")
    };
    assert!(raw.ends_with("Review: Fine.\nSentiment:"), "{raw}");
    let s = &r.sections;
    assert_eq!(format!("{}{}{}", s.system, s.examples, s.input), *raw);
    assert_eq!(s.input, "Review: Fine.\nSentiment:");
    assert_eq!(r.examples.len(), 4);
    assert_eq!(
        t.label_candidates(Mode::Completion),
        [" positive", " negative"]
    );
    assert_eq!(t.label_candidates(Mode::Chat), ["positive", "negative"]);
    // Each example's answer is written exactly as its candidate continues the prefix.
    for &i in &r.examples {
        let line = format!("Sentiment: {}\n", t.examples[i].output);
        assert!(s.examples.contains(&line));
    }
    let zh = lib.get("sentiment-zh").unwrap();
    assert_eq!(
        zh.label_candidates(Mode::Completion),
        ["好评", "差评"],
        "no space after ："
    );
}

#[test]
fn chat_mode_puts_examples_in_turns() {
    let lib = lib();
    let t = lib.get("sentiment").unwrap();
    let o = RenderOptions {
        shots: 2,
        selection: Selection::First,
        ..RenderOptions::defaults(t, Mode::Chat)
    };
    let r = t.render(&text("Fine."), &o).unwrap();
    let Prompt::Chat(msgs) = &r.prompt else {
        panic!("chat mode gives messages")
    };
    let roles: Vec<Role> = msgs.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant,
            Role::User
        ]
    );
    assert_eq!(msgs[0].content, t.instruction);
    assert_eq!(msgs[2].content, "positive");
    assert_eq!(msgs[5].content, "Review: Fine.");
    assert_eq!(r.sections.system, t.instruction);
    assert_eq!(r.sections.input, "Review: Fine.");
}

#[test]
fn every_builtin_renders_in_both_modes() {
    let lib = lib();
    for t in &lib.templates {
        let vars: BTreeMap<String, String> = t
            .variable_names()
            .iter()
            .map(|v| (v.to_string(), format!("sample {v}")))
            .collect();
        for mode in [Mode::Chat, Mode::Completion] {
            for shots in [0, 1, t.shots, t.examples.len()] {
                let o = RenderOptions {
                    shots,
                    ..RenderOptions::defaults(t, mode)
                };
                let sel = if t.selection == Selection::Similar {
                    Selection::First
                } else {
                    t.selection
                };
                let o = RenderOptions {
                    selection: sel,
                    ..o
                };
                let r = t
                    .render(&vars, &o)
                    .unwrap_or_else(|e| panic!("{}: {e}", t.name));
                assert_eq!(r.examples.len(), shots, "{}", t.name);
                assert!(r.display().contains("sample"), "{}", t.name);
            }
        }
        let s = t.sampling_for(Mode::Completion);
        assert!(s.validate().is_ok(), "{}", t.name);
        assert!(
            !s.stop.is_empty(),
            "{}: a base model needs stop strings",
            t.name
        );
        assert_eq!(s.grammar, t.grammar);
    }
    assert!(lib.get("entities-json").unwrap().grammar.is_some());
}

#[test]
fn match_label_finds_the_earliest_label() {
    let lib = lib();
    let t = lib.get("sentiment-3way").unwrap();
    assert_eq!(t.match_label(" Negative, clearly."), Some(1));
    assert_eq!(t.match_label("neutral or positive"), Some(2));
    assert_eq!(t.match_label("no idea"), None);
}

mod properties {
    use super::*;
    use howdah::prompt::Pattern;
    use proptest::prelude::*;

    proptest! {
        /// Text without braces is one literal piece and fills to itself; a placeholder anywhere
        /// in it fills with the value at that spot.
        #[test]
        fn patterns_fill_exactly(pre in "[^{}]{0,40}", post in "[^{}]{0,40}", value in "\\PC{0,40}") {
            let plain = Pattern::parse(&pre).unwrap();
            prop_assert_eq!(plain.fill(&BTreeMap::new()).unwrap(), pre.clone());
            let p = Pattern::parse(&format!("{pre}{{{{v}}}}{post}")).unwrap();
            let vars = BTreeMap::from([("v".to_string(), value.clone())]);
            prop_assert_eq!(p.fill(&vars).unwrap(), format!("{pre}{value}{post}"));
        }

        /// Every strategy without embeddings gives exactly k distinct, allowed examples.
        #[test]
        fn selections_give_k_distinct_examples(seed in any::<u64>(), k in 0usize..=8, excluded in 0usize..8) {
            let lib = Library::load_from(None);
            let t = lib.get("sentiment").unwrap();
            for selection in [Selection::First, Selection::Random, Selection::Balanced] {
                let o = RenderOptions { exclude: vec![excluded], ..opts(t, k, selection, seed) };
                let r = t.render(&text("some review"), &o).unwrap();
                let mut s = r.examples.clone();
                s.sort();
                s.dedup();
                prop_assert_eq!(s.len(), k.min(7));
                prop_assert!(!r.examples.contains(&excluded));
            }
        }
    }
}
