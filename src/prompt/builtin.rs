//! The built-in library, embedded in the binary so an installed howdah has it without files.

/// (file name, contents) of every built-in template, from `prompts/` at build time.
/// A test checks that this list and the folder agree.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "arithmetic.toml",
        include_str!("../../prompts/arithmetic.toml"),
    ),
    ("code.toml", include_str!("../../prompts/code.toml")),
    ("en-fr.toml", include_str!("../../prompts/en-fr.toml")),
    (
        "entities-json.toml",
        include_str!("../../prompts/entities-json.toml"),
    ),
    ("qa.toml", include_str!("../../prompts/qa.toml")),
    (
        "sentiment.toml",
        include_str!("../../prompts/sentiment.toml"),
    ),
    (
        "sentiment-3way.toml",
        include_str!("../../prompts/sentiment-3way.toml"),
    ),
    (
        "sentiment-zh.toml",
        include_str!("../../prompts/sentiment-zh.toml"),
    ),
    (
        "summarize.toml",
        include_str!("../../prompts/summarize.toml"),
    ),
    ("topic.toml", include_str!("../../prompts/topic.toml")),
];
