//! `howdah compare` and `howdah eval` as a user runs them: the real binary, the shipped data and
//! the real models; JSON schema, tables, error messages and exit codes.

mod cli_support;

use cli_support::*;
use serde_json::Value;

#[test]
fn eval_json_has_the_documented_schema_and_confusion_sums_to_the_rows() {
    let m = model(GEMMA);
    let d = data("sentiment-12.csv");
    let (o, _h) = howdah(&[
        "eval",
        "sentiment",
        "--data",
        d.to_str().unwrap(),
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "0,2",
        "--mode",
        "completion",
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["template"], "sentiment");
    assert_eq!(v["method"], "score");
    assert_eq!(v["labels"], serde_json::json!(["positive", "negative"]));
    assert_eq!(v["total_rows"], 12);
    assert_eq!(v["model"], GEMMA);
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    for (var, shots) in variants.iter().zip([0, 2]) {
        assert_eq!(var["shots"], shots);
        assert_eq!(var["selection"], "balanced");
        assert_eq!(var["mode"], "completion");
        for key in ["accuracy", "macro_f1", "mean_true_prob", "rows_per_sec"] {
            let x = var[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} in {var}"));
            assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
        }
        let matrix = var["confusion"]["matrix"].as_array().unwrap();
        let sum: u64 = matrix
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|x| x.as_u64().unwrap())
            .sum();
        assert_eq!(sum, 12);
        assert_eq!(var["rows"], 12);
    }
    // As in the library test: zero-shot gemma calls most negative rows positive (7/12 with
    // ggml's AVX2 kernels, 8/12 with AVX-512: the exact count follows the build), two balanced
    // examples get all 12 on both.
    let zero = variants[0]["correct"].as_u64().unwrap();
    assert!((6..=9).contains(&zero), "zero-shot {zero}/12");
    assert_eq!(variants[1]["correct"], 12);
}

#[test]
fn eval_reports_unknown_labels_and_writes_predictions() {
    let m = model(GEMMA);
    let d = data("unknown-label.csv");
    let home = tempfile::tempdir().unwrap();
    let pred = home.path().join("pred.csv");
    let (o, _h) = howdah(&[
        "eval",
        "sentiment",
        "--data",
        d.to_str().unwrap(),
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "1",
        "--predictions",
        pred.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("unknown-label.csv: line 4: skipped: label \"neutral\""),
        "{err}"
    );
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("3 rows (1 skipped)"), "{table}");
    assert!(table.contains("1-shot balanced"), "{table}");
    let csv = std::fs::read_to_string(&pred).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("line,variant,method,shots,selection,mode,text,label,predicted,correct,p_positive,p_negative"));
    assert!(
        lines[3].starts_with("5,1-shot balanced,score,1,balanced,"),
        "{}",
        lines[3]
    );
}

#[test]
fn eval_names_the_malformed_line_and_fails() {
    let (o, _h) = howdah(&[
        "eval",
        "sentiment",
        "--data",
        data("malformed.jsonl").to_str().unwrap(),
        "-m",
        GEMMA,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("malformed.jsonl: line 4: not valid JSON"),
        "{err}"
    );
}

#[test]
fn compare_json_and_table_show_every_variant() {
    let m = model(GEMMA);
    let (o, _h) = howdah(&[
        "compare",
        "sentiment",
        "--input",
        "The food was cold and the waiter was rude.",
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "0,4",
        "--format",
        "json",
    ]);
    let v = json(&o);
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    for var in variants {
        assert!(var["error"].is_null(), "{var}");
        assert_eq!(var["mode"], "completion");
        assert!(var["text"].is_string());
        assert!(var["stats"]["prompt_tokens"].as_u64().unwrap() > 0);
        let labels = var["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 2);
    }
    assert_eq!(variants[1]["shots"], 4);
    assert_eq!(variants[1]["predicted"], "negative");
    assert_eq!(variants[1]["text"].as_str().unwrap().trim(), "negative");

    let (o, _h) = howdah(&[
        "compare",
        "sentiment",
        "--input",
        "I loved it.",
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "0,1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    for col in [
        "variant",
        "predicted",
        "p(positive)",
        "p(negative)",
        "prompt tok",
        "gen tok",
        "ttft ms",
        "tok/s",
        "mean logprob",
        "── 1-shot balanced ──",
    ] {
        assert!(table.contains(col), "{col} missing in:\n{table}");
    }
}

#[test]
fn usage_errors_are_clear() {
    let (o, _h) = howdah(&[
        "compare",
        "sentiment",
        "--input",
        "x",
        "-m",
        GEMMA,
        "--shots",
        "0,1,2,3,4",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("at most 4 variants"), "{}", stderr(&o));
    let (o, _h) = howdah(&["eval", "no-such-template", "--data", "x.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no template named 'no-such-template'"),
        "{}",
        stderr(&o)
    );
    let (o, _h) = howdah(&[
        "eval",
        "sentiment",
        "--data",
        data("sentiment-12.csv").to_str().unwrap(),
        "--method",
        "vote",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("use score, generate or embed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn runs_are_saved_as_sessions_unless_no_save() {
    let m = model(GEMMA);
    let d = data("sentiment-12.csv");
    let (o, home) = howdah(&[
        "eval",
        "sentiment",
        "--data",
        d.to_str().unwrap(),
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "0,1",
        "--limit",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let path = err
        .lines()
        .find_map(|l| l.strip_prefix("howdah: session saved to "))
        .unwrap_or_else(|| panic!("no session path in: {err}"));
    assert!(path.starts_with(home.path().join("data").to_str().unwrap()));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(s["kind"], "eval");
    let runs = s["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["label"], "1-shot balanced");
    assert_eq!(runs[1]["figures"]["rows"], 4.0);
    assert_eq!(runs[1]["model"]["file_name"], GEMMA);
    assert_eq!(runs[1]["data"]["predictions"].as_array().unwrap().len(), 4);

    let (o, home) = howdah(&[
        "compare",
        "sentiment",
        "--input",
        "Nice.",
        "-m",
        &m,
        "-t",
        "1",
        "--shots",
        "0",
        "--no-save",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("session saved"));
    let sessions = home.path().join("data/sessions");
    let n = std::fs::read_dir(&sessions).map(|d| d.count()).unwrap_or(0);
    assert_eq!(n, 0, "--no-save wrote into {}", sessions.display());
}
