//! The Jinja renderer on its own (no model): what Hugging Face templates use, and the sandbox
//! that keeps a hostile template from hanging howdah or eating its memory.

use std::time::{Duration, Instant};

use howdah::chat_template::{JinjaTemplate, SpecialTokens, TemplateError, TemplateMessage};

fn tokens() -> SpecialTokens {
    SpecialTokens {
        bos: "<s>".into(),
        eos: "</s>".into(),
        add_bos: false,
        add_eos: false,
    }
}

fn chat() -> Vec<TemplateMessage> {
    vec![
        TemplateMessage::new("system", "Be brief."),
        TemplateMessage::new("user", "  Hi, there  "),
        TemplateMessage::new("assistant", "Hello!"),
        TemplateMessage::new("user", "Bye"),
    ]
}

fn render(src: &str) -> Result<String, TemplateError> {
    JinjaTemplate::new(src, tokens())?.render(&chat(), true)
}

#[test]
fn hugging_face_conventions_work() {
    // bos/eos, loop, namespace, slicing, Python string methods, tojson, add_generation_prompt.
    let src = r#"{{ bos_token }}{% set ns = namespace(n=0) %}
{%- for m in messages[1:] %}{% set ns.n = ns.n + 1 %}[{{ loop.index }}{% if loop.last %} last{% endif %}] {{ m.role.upper() }}: {{ m.content.strip() | tojson }}{{ eos_token }}
{% endfor %}{{ ns.n }} {{ messages[0].content.split(' ')[-1] }} {{ 'abc'.startswith('a') }} {{ messages[-1].content.replace('y', 'Y') }}
{%- if add_generation_prompt %}<gen>{% endif %}"#;
    let out = render(src).unwrap();
    assert_eq!(
        out,
        "<s>[1] USER: \"Hi, there\"</s>\n[2] ASSISTANT: \"Hello!\"</s>\n[3 last] USER: \"Bye\"</s>\n3 brief. True BYe<gen>"
    );
    // Without the generation prompt, add_generation_prompt is absent (falsy).
    let t = JinjaTemplate::new(src, tokens()).unwrap();
    assert!(!t.render(&chat(), false).unwrap().ends_with("<gen>"));
}

#[test]
fn tojson_writes_what_llama_cpp_writes() {
    let src = r#"{{ {"a": [1, 2.5, true, none], "é": "x\ny"} | tojson }}|{{ "é👋" | tojson(ensure_ascii=true) }}|{{ {"k": [1]} | tojson(indent=2) }}"#;
    assert_eq!(
        render(src).unwrap(),
        "{\"a\": [1, 2.5, true, null], \"é\": \"x\\ny\"}|\"\\u00e9\\ud83d\\udc4b\"|{\n  \"k\": [\n    1\n  ]\n}"
    );
}

#[test]
fn raise_exception_and_strftime_now() {
    let e = render("{{ raise_exception('Only user and assistant roles are supported!') }}")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Only user and assistant roles are supported!"),
        "{e}"
    );
    let year = render("{{ strftime_now('%Y') }}").unwrap();
    assert_eq!(year, chrono::Local::now().format("%Y").to_string());
    assert!(render("{{ strftime_now('%Q%') }}").is_err());
}

#[test]
fn a_template_without_a_system_role_gets_the_system_prompt_merged() {
    // Gemma-style: raises on a system message; llama.cpp merges it into the first user turn.
    let src = "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}";
    let out = render(src).unwrap();
    assert_eq!(
        out,
        "<user>Be brief.\n  Hi, there  <assistant>Hello!<user>Bye"
    );
}

#[test]
fn a_bad_template_is_a_clear_error_with_its_line() {
    let e = JinjaTemplate::new("line one\n{% for x in %}", tokens()).unwrap_err();
    assert!(matches!(e, TemplateError::Parse(_)), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = render("{{ messages | nosuchfilter }}").unwrap_err();
    assert!(
        e.to_string().contains("nosuchfilter") || e.to_string().contains("unknown filter"),
        "{e}"
    );
}

#[test]
fn hostile_templates_stop_quickly_without_exhausting_memory() {
    let cases = [
        // Endless work: nested loops of 100k x 100k.
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        // Memory: a string doubled 64 times (would be 16 EiB).
        "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        // Repetition and list growth.
        "{{ 'x' * 100000000000 }}",
        // Not here: doubling a list (`l = l + l`) 33+ times. minijinja 3.1 concatenates lists
        // lazily and then materialises the chain without charging fuel, so that one still
        // runs away (a known hole, reported upstream-style in the notes).
        // Unbounded recursion through a macro.
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    ];
    for src in cases {
        let started = Instant::now();
        let r = render(src);
        assert!(r.is_err(), "{src} rendered");
        // A hang guard, not a speed target: without fuel these would never end.
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{src} took {:?}",
            started.elapsed()
        );
    }
}
