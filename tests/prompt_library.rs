//! Loading templates: every invalid-file case names file, line and field while the other
//! templates still load; user files override built-ins; paths cannot leave the prompts folder.

use std::path::Path;

use howdah::prompt::{Library, Source, Task, Template, TemplateError, BUILTIN};

const VALID: &str = r#"name = "mine"
description = "A user template"
task = "classify"
instruction = "Say yes or no."
input = "Q: {{q}}"
output = "A:"
labels = ["yes", "no"]
shots = 1

[[examples]]
q = "Is water wet?"
output = "yes"
"#;

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write template");
}

fn error_for<'a>(lib: &'a Library, file: &str) -> &'a TemplateError {
    lib.errors
        .iter()
        .find(|e| Path::new(&e.file).file_name() == Some(std::ffi::OsStr::new(file)))
        .unwrap_or_else(|| panic!("no error for {file}: {:#?}", lib.errors))
}

#[test]
fn each_invalid_case_names_file_line_and_field_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "mine.toml", VALID);
    // Missing field: no `instruction`.
    write(
        d,
        "missing.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"missing\"")
            .replace("instruction = \"Say yes or no.\"\n", ""),
    );
    // Unknown variable in `input` (declared variables say `q`, the input uses `question`).
    write(
        d,
        "unknownvar.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"unknownvar\"")
            .replace(
                "input = \"Q: {{q}}\"",
                "input = \"Q: {{question}}\"\nvariables = { q = \"the question\" }",
            ),
    );
    // An example missing the variable.
    write(
        d,
        "exmissing.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"exmissing\"")
            .replace("q = \"Is water wet?\"", "query = \"Is water wet?\""),
    );
    // A label not in `labels`.
    write(
        d,
        "badlabel.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"badlabel\"")
            .replace("output = \"yes\"", "output = \"maybe\""),
    );
    // Bad TOML.
    write(
        d,
        "badtoml.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"badtoml\"")
            .replace("shots = 1", "shots = = 1"),
    );
    // An unknown field (deny_unknown_fields) and a wrong type.
    write(
        d,
        "typo.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"typo\"")
            .replace("shots = 1", "shot = 1"),
    );
    write(
        d,
        "wrongtype.toml",
        &VALID
            .replace("name = \"mine\"", "name = \"wrongtype\"")
            .replace("shots = 1", "shots = \"one\""),
    );

    let lib = Library::load_from(Some(d));
    let e = error_for(&lib, "missing.toml");
    assert_eq!(e.field.as_deref(), Some("instruction"), "{e}");
    assert_eq!(e.line, Some(1), "{e}");
    assert!(
        e.to_string()
            .contains("missing.toml:1: field `instruction`"),
        "{e}"
    );

    let e = error_for(&lib, "unknownvar.toml");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(5), Some("input")),
        "{e}"
    );
    assert!(e.message.contains("{{question}}"), "{e}");

    let e = error_for(&lib, "exmissing.toml");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(10), Some("examples[0].q")),
        "{e}"
    );
    assert!(e.message.contains("missing the variable 'q'"), "{e}");

    let e = error_for(&lib, "badlabel.toml");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(12), Some("examples[0].output")),
        "{e}"
    );
    assert!(
        e.message.contains("'maybe' is not one of labels (yes, no)"),
        "{e}"
    );

    let e = error_for(&lib, "badtoml.toml");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(8), Some("shots")),
        "{e}"
    );

    let e = error_for(&lib, "typo.toml");
    assert_eq!((e.line, e.field.as_deref()), (Some(8), Some("shot")), "{e}");

    let e = error_for(&lib, "wrongtype.toml");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(8), Some("shots")),
        "{e}"
    );

    assert_eq!(lib.errors.len(), 7, "{:#?}", lib.errors);
    let mine = lib
        .get("mine")
        .expect("the valid user template still loads");
    assert_eq!(mine.task, Task::Classify);
    assert_eq!(
        lib.templates.len(),
        BUILTIN.len() + 1,
        "built-ins still load"
    );
}

#[test]
fn more_rules_are_checked() {
    let cases = [
        (
            "shots = 1",
            "shots = 5",
            "shots",
            "5 shots but only 1 examples",
        ),
        (
            "labels = [\"yes\", \"no\"]",
            "labels = [\"yes\"]",
            "labels",
            "at least two labels",
        ),
        (
            "input = \"Q: {{q}}\"",
            "input = \"Q: {{q\"",
            "input",
            "never closed",
        ),
        (
            "input = \"Q: {{q}}\"",
            "input = \"Q: no variable\"",
            "input",
            "has no {{variable}}",
        ),
        (
            "name = \"mine\"",
            "name = \"other\"",
            "name",
            "differs from the file name",
        ),
        (
            "shots = 1",
            "shots = 1\nselection = \"nearest\"",
            "selection",
            "unknown variant",
        ),
        (
            "shots = 1",
            "shots = 1\n[sampling]\ntop_p = 3.0",
            "sampling",
            "top_p",
        ),
    ];
    for (from, to, field, msg) in cases {
        let text = VALID.replace(from, to);
        let e = Template::parse(&text, "mine", Source::Builtin("mine.toml")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{to}: {e}");
        assert!(e.message.contains(msg), "{to}: {e}");
        assert!(e.line.is_some(), "{to}: {e}");
    }
    // An example with an extra, unknown variable.
    let text = VALID.replace(
        "q = \"Is water wet?\"",
        "q = \"Is water wet?\"\nextra = \"x\"",
    );
    let e = Template::parse(&text, "mine", Source::Builtin("mine.toml")).unwrap_err();
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(12), Some("examples[0].extra")),
        "{e}"
    );
}

#[test]
fn user_templates_override_builtins_and_a_broken_override_keeps_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let mut own = VALID.replace("name = \"mine\"", "name = \"topic\"");
    own = own.replace("A user template", "My own topic template");
    write(dir.path(), "topic.toml", &own);
    write(
        dir.path(),
        "sentiment.toml",
        "name = \"sentiment\"\nthis is not toml",
    );
    let lib = Library::load_from(Some(dir.path()));
    let topic = lib.get("topic").unwrap();
    assert_eq!(topic.description, "My own topic template");
    assert!(matches!(topic.source, Source::User(_)));
    let sentiment = lib.get("sentiment").unwrap();
    assert!(matches!(
        sentiment.source,
        Source::Builtin("sentiment.toml")
    ));
    assert_eq!(lib.errors.len(), 1);
    assert_eq!(lib.errors[0].line, Some(2));
    assert_eq!(lib.templates.len(), BUILTIN.len());
}

#[test]
fn paths_escaping_the_prompts_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("prompts");
    std::fs::create_dir(&dir).unwrap();
    let outside = root.path().join("secret.toml");
    std::fs::write(
        &outside,
        VALID.replace("name = \"mine\"", "name = \"secret\""),
    )
    .unwrap();
    for name in ["../secret", "a/b", "/etc/passwd", "", "..", "UPPER"] {
        let err = Template::user_path(&dir, name).unwrap_err();
        assert!(err.contains("not a template name"), "{name}: {err}");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, dir.join("secret.toml")).unwrap();
        let err = Template::user_path(&dir, "secret").unwrap_err();
        assert!(err.contains("outside the prompts folder"), "{err}");
        let lib = Library::load_from(Some(&dir));
        assert!(
            lib.get("secret").is_none(),
            "a link out of the folder must not load"
        );
        let e = error_for(&lib, "secret.toml");
        assert!(e.message.contains("outside the prompts folder"), "{e}");
    }
    assert_eq!(
        Template::user_path(&dir, "fine-name_2").unwrap(),
        dir.join("fine-name_2.toml")
    );
}

#[test]
fn a_builtin_can_be_copied_for_editing() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("prompts");
    let lib = Library::load_from(None);
    let path = lib
        .get("sentiment")
        .unwrap()
        .ensure_user_file(&prompts)
        .unwrap();
    assert_eq!(path, prompts.join("sentiment.toml"));
    let reloaded = Library::load_from(Some(&prompts));
    assert!(reloaded.errors.is_empty(), "{:#?}", reloaded.errors);
    let t = reloaded.get("sentiment").unwrap();
    assert!(matches!(t.source, Source::User(_)));
    assert_eq!(t.examples, lib.get("sentiment").unwrap().examples);
}
