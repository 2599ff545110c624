//! `similar` example selection and `--method embed` prototypes with the dedicated embedding model
//! (all-MiniLM-L6-v2) beside the chat model, as the command line configures it.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use howdah::compare::{run_eval, Dataset, EvalData, EvalOptions, Method, VariantSpec};
use howdah::embed_model::{self, EmbedChoice};
use howdah::prompt::{Embedder, Mode, RenderOptions, Selection, Source, Template};

const MINILM: &str = "all-MiniLM-L6-v2.gguf";

/// Six topics, two examples each; the inputs below share no content words with their examples.
const TOPICS: &str = r#"name = "topics"
description = "Which everyday topic a sentence is about"
task = "classify"
instruction = "Name the topic of each sentence."
input = "Sentence: {{text}}"
output = "Topic:"
labels = ["pets", "cars", "cooking", "money", "sport", "weather"]
shots = 1

[label_descriptions]
pets = "Animals people keep at home, such as dogs and cats."

[[examples]]
text = "My dog barks at the postman every morning."
output = "pets"
[[examples]]
text = "The engine of my old sedan makes a strange noise."
output = "cars"
[[examples]]
text = "Simmer the onions slowly until they turn golden."
output = "cooking"
[[examples]]
text = "The bank raised the interest rate on my savings account."
output = "money"
[[examples]]
text = "The striker scored twice in the second half."
output = "sport"
[[examples]]
text = "Heavy rain and strong wind are expected tonight."
output = "weather"
"#;

fn configure() {
    embed_model::configure(EmbedChoice {
        spec: Some(common::model(MINILM).display().to_string()),
        models_dirs: Vec::new(),
        settings: howdah::engine::EngineSettings {
            threads: Some(2),
            ..Default::default()
        },
    });
}

fn vars(text: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("text".to_string(), text.to_string())])
}

#[test]
fn similar_selection_uses_the_embedding_model_and_picks_the_expected_neighbours() {
    configure();
    let (chat, info) = common::engine(common::smollm2());
    let embedder = Embedder::engine(&chat, &info);
    assert_eq!(
        embedder.model,
        common::model(MINILM).display().to_string(),
        "the dedicated model embeds, not the chat model"
    );
    assert!(embedder.warning.is_none());
    let t = Template::parse(TOPICS, "topics", Source::Builtin("topics.toml")).unwrap();
    let cases = [
        ("Our kitten loves chasing a ball of yarn.", 0),
        ("I need new tyres before the long drive.", 1),
        ("Add a pinch of salt and stir the sauce.", 2),
        ("Stocks fell and my pension lost value.", 3),
        ("The goalkeeper saved a penalty in the final.", 4),
        ("A thunderstorm will bring hail this afternoon.", 5),
    ];
    for (input, want) in cases {
        let opts = RenderOptions {
            shots: 2,
            selection: Selection::Similar,
            embedder: Some(&embedder),
            ..RenderOptions::defaults(&t, Mode::Chat)
        };
        let r = t.render(&vars(input), &opts).unwrap();
        // Most similar last, nearest the input.
        assert_eq!(
            r.examples.last(),
            Some(&want),
            "{input}: picked {:?}",
            r.examples
        );
    }
}

#[test]
fn embed_method_prototypes_classify_topics_with_and_without_shots() {
    configure();
    let (chat, info) = common::engine(common::smollm2());
    let embedder = Embedder::engine(&chat, &info);
    let t = Template::parse(TOPICS, "topics", Source::Builtin("topics.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("topics.csv");
    std::fs::write(
        &csv,
        "text,label\n\
         Our kitten loves chasing a ball of yarn.,pets\n\
         I need new tyres before the long drive.,cars\n\
         Add a pinch of salt and stir the sauce.,cooking\n\
         Stocks fell and my pension lost value.,money\n\
         The goalkeeper saved a penalty in the final.,sport\n\
         A thunderstorm will bring hail this afternoon.,weather\n",
    )
    .unwrap();
    let data = EvalData::prepare(&Dataset::load(&csv).unwrap(), &t, "text", "label", None).unwrap();
    let variants: Vec<VariantSpec> = [0, 6]
        .iter()
        .map(|&k| VariantSpec {
            selection: Selection::First,
            ..VariantSpec::new(&t, k, Mode::Chat)
        })
        .collect();
    let opts = EvalOptions {
        method: Method::Embed,
        reuse_cache: true,
        embedder: Some(&embedder),
        calibrate: false,
    };
    let r = run_eval(
        &chat,
        &t,
        &data,
        &variants,
        &opts,
        &AtomicBool::new(false),
        |_| {},
    )
    .unwrap();
    assert_eq!(r.variants.len(), 2);
    let (zero, six) = (&r.variants[0], &r.variants[1]);
    assert_eq!((zero.shots, six.shots), (0, 6));
    assert_eq!(zero.selection, None, "no examples at 0 shots");
    assert_eq!(six.selection, Some(Selection::First));
    // With every example in its label's prototype, each topic is recognised.
    assert_eq!(six.correct, 6, "{:?}", six.predictions);
    // Label words (and one description) alone already do well above chance (1/6).
    assert!(zero.correct >= 4, "{:?}", zero.predictions);
    let p = six.predictions[0].probs.as_ref().unwrap();
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}
