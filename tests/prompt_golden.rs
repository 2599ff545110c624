//! Golden files of rendered prompts: several templates, chat and completion, k = 0, 1 and 3.
//! The files in tests/golden/ are compared byte for byte; `UPDATE_GOLDEN=1 cargo test --release
//! --test prompt_golden` rewrites them after a deliberate change (review the diff).

use std::collections::BTreeMap;
use std::path::PathBuf;

use howdah::prompt::{Library, Mode, RenderOptions, Selection};

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rendered_prompts_match_the_golden_files() {
    let lib = Library::load_from(None);
    assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
    let cases = [
        (
            "sentiment",
            vars(&[("text", "The soundtrack was lovely but the ending dragged.")]),
        ),
        (
            "en-fr",
            vars(&[("text", "The museum is closed on Mondays.")]),
        ),
        (
            "entities-json",
            vars(&[(
                "text",
                "Serena Williams visited Nike headquarters in Oregon.",
            )]),
        ),
        (
            "qa",
            vars(&[
                (
                    "passage",
                    "Saturn has at least 146 known moons; Titan is the largest.",
                ),
                ("question", "Which is Saturn's largest moon?"),
            ]),
        ),
        ("sentiment-zh", vars(&[("text", "包装破损，味道也不好。")])),
        ("code", vars(&[("task", "Return the square of a number.")])),
    ];
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut mismatches = Vec::new();
    for (name, input) in &cases {
        let t = lib.get(name).unwrap_or_else(|| panic!("built-in {name}"));
        for mode in [Mode::Chat, Mode::Completion] {
            for k in [0, 1, 3] {
                let opts = RenderOptions {
                    shots: k,
                    selection: Selection::First,
                    ..RenderOptions::defaults(t, mode)
                };
                let r = t.render(input, &opts).expect("render");
                assert_eq!(r.examples, (0..k).collect::<Vec<_>>());
                let got = r.display();
                let path = dir.join(format!("{name}-{}-k{k}.txt", mode.as_str()));
                if update {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(&path, &got).unwrap();
                    continue;
                }
                match std::fs::read_to_string(&path) {
                    Ok(want) if want == got => {}
                    Ok(want) => mismatches.push(format!(
                        "{}: differs\n--- want ---\n{want}\n--- got ---\n{got}",
                        path.display()
                    )),
                    Err(_) => mismatches.push(format!(
                        "{} is missing: run UPDATE_GOLDEN=1 cargo test --release --test prompt_golden",
                        path.display()
                    )),
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}
