//! Several models in one comparison, honest numbers and blind votes, as a user runs them: the
//! real binary and the two shipped models (SmolLM2 instruct with a chat template, Gemma 3 base).
//! Two models in one compare carry `model` per variant; the base-vs-instruct preset lays out each
//! column in its own model's layout; eval reports intervals, McNemar p-values and a calibrated
//! variant whose probabilities follow the formula; an arena vote read from stdin is saved, rated
//! and exported as a preference pair.

mod cli_support;

use cli_support::*;
use serde_json::Value;

#[test]
fn two_models_in_one_compare_and_the_base_vs_instruct_preset() {
    let home = tempfile::tempdir().unwrap();
    let models = format!("{},{}", model(GEMMA), model(SMOL));
    let o = howdah_in(
        home.path(),
        &[
            "compare",
            "sentiment",
            "--input",
            "I loved every minute.",
            "--models",
            &models,
            "--shots",
            "0",
            "-t",
            "1",
            "-n",
            "4",
            "--format",
            "json",
            "--no-save",
        ],
        "",
    );
    let v = json(&o);
    let err = stderr(&o);
    assert!(
        err.contains("2 models loaded side by side") || err.contains("one after another"),
        "the loading plan is said: {err}"
    );
    let vs = v["variants"].as_array().unwrap();
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0]["model"], GEMMA);
    assert_eq!(vs[1]["model"], SMOL);
    // Each column in its own model's layout: the base model continues raw text, the instruct
    // model gets its chat template.
    assert_eq!(vs[0]["mode"], "completion");
    assert_eq!(vs[0]["prompt"]["kind"], "raw");
    assert_eq!(vs[1]["mode"], "chat");
    assert_eq!(vs[1]["prompt"]["kind"], "chat");
    for var in vs {
        let p: f64 = var["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["prob"].as_f64().unwrap())
            .sum();
        assert!(
            (p - 1.0).abs() < 1e-6,
            "label probabilities per column: {var}"
        );
    }

    // The preset: both shipped models (found by name in the models folder, which the private
    // data folder of the test does not have), zero-shot and few-shot, four columns, one session.
    let models_dir = howdah::paths::models_dir().display().to_string();
    let o = howdah_in(
        home.path(),
        &[
            "compare",
            "sentiment",
            "--input",
            "Dull and far too long.",
            "--preset",
            "base vs instruct",
            "--models-dir",
            &models_dir,
            "-t",
            "1",
            "-n",
            "2",
            "--format",
            "json",
        ],
        "",
    );
    let v = json(&o);
    let vs = v["variants"].as_array().unwrap();
    let cols: Vec<(String, String, u64)> = vs
        .iter()
        .map(|x| {
            (
                x["model"].as_str().unwrap().to_string(),
                x["mode"].as_str().unwrap().to_string(),
                x["shots"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            (GEMMA.to_string(), "completion".to_string(), 0),
            (GEMMA.to_string(), "completion".to_string(), 4),
            (SMOL.to_string(), "chat".to_string(), 0),
            (SMOL.to_string(), "chat".to_string(), 4),
        ]
    );
    // Few-shot in completion mode: the examples are in the raw text; in chat mode they are turns.
    let raw = vs[1]["prompt"]["value"].as_str().unwrap();
    assert!(raw.matches("Sentiment:").count() >= 5, "{raw}");
    let turns = vs[3]["prompt"]["value"].as_array().unwrap();
    assert!(
        turns.len() >= 9,
        "4 examples as user/assistant turns: {turns:?}"
    );
    assert!(stderr(&o).contains("session saved"), "{}", stderr(&o));
    // The table names the model in each column title.
    let o = howdah_in(
        home.path(),
        &[
            "compare",
            "sentiment",
            "--input",
            "Fine.",
            "--preset",
            "base-vs-instruct",
            "--shots",
            "0",
            "--models-dir",
            &models_dir,
            "-t",
            "1",
            "-n",
            "1",
            "--no-save",
        ],
        "",
    );
    let table = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(table.contains("· 0-shot"), "{table}");
}

#[test]
fn eval_reports_intervals_paired_tests_and_a_calibrated_variant() {
    let home = tempfile::tempdir().unwrap();
    let pred = home.path().join("pred.csv");
    let d = data("sentiment-12.csv");
    let o = howdah_in(
        home.path(),
        &[
            "eval",
            "sentiment",
            "--data",
            d.to_str().unwrap(),
            "-m",
            &model(GEMMA),
            "-t",
            "1",
            "--shots",
            "0,2",
            "--mode",
            "completion",
            "--calibrate",
            "--format",
            "json",
            "--predictions",
            pred.to_str().unwrap(),
            "--no-save",
        ],
        "",
    );
    let v = json(&o);
    let vs = v["variants"].as_array().unwrap();
    let names: Vec<&str> = vs.iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "0-shot",
            "0-shot +cal",
            "2-shot balanced",
            "2-shot balanced +cal"
        ]
    );
    for var in vs {
        let acc = var["accuracy"].as_f64().unwrap();
        let ci: Vec<f64> = serde_json::from_value(var["accuracy_ci"].clone()).unwrap();
        let f1 = var["macro_f1"].as_f64().unwrap();
        let fci: Vec<f64> = serde_json::from_value(var["macro_f1_ci"].clone()).unwrap();
        assert!(
            ci[0] <= acc && acc <= ci[1] && ci[0] >= 0.0 && ci[1] <= 1.0,
            "{var}"
        );
        assert!(fci[0] <= f1 + 1e-9 && f1 <= fci[1] + 1e-9, "{var}");
        assert_eq!(var["model"], GEMMA);
    }
    // 12 of 12 right: Wilson gives [0.7575, 1], not the degenerate [1, 1].
    let two = &vs[2];
    assert_eq!(two["correct"], 12);
    let lo = two["accuracy_ci"][0].as_f64().unwrap();
    assert!((lo - 0.7575).abs() < 1e-3, "{lo}");
    // Six pairs, each with a p-value in (0, 1].
    let paired = v["paired"].as_array().unwrap();
    assert_eq!(paired.len(), 6);
    for p in paired {
        let x = p["p_value"].as_f64().unwrap();
        assert!(x > 0.0 && x <= 1.0, "{p}");
        assert!(p["a"].as_u64().unwrap() < p["b"].as_u64().unwrap());
    }
    // The calibrated probabilities are the raw ones divided by the content-free ones and
    // renormalised, row by row.
    let free: Vec<f64> = serde_json::from_value(vs[1]["calibration"].clone()).unwrap();
    assert_eq!(free.len(), 2);
    assert!((free.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{free:?}");
    let mut rdr = csv::Reader::from_path(&pred).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let probs = |variant: &str| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| &r[1] == variant)
            .map(|r| (r[10].parse().unwrap(), r[11].parse().unwrap()))
            .collect()
    };
    let (raw, cal) = (probs("0-shot"), probs("0-shot +cal"));
    assert_eq!(raw.len(), 12);
    assert_eq!(cal.len(), 12);
    for ((p, n), (cp, cn)) in raw.iter().zip(&cal) {
        let (a, b) = (p / free[0], n / free[1]);
        assert!((cp - a / (a + b)).abs() < 1e-5, "{p} {n} -> {cp}");
        assert!((cn - b / (a + b)).abs() < 1e-5, "{p} {n} -> {cn}");
    }
    // The table shows the intervals and the verdicts.
    let o = howdah_in(
        home.path(),
        &[
            "eval",
            "sentiment",
            "--data",
            d.to_str().unwrap(),
            "-m",
            &model(GEMMA),
            "-t",
            "1",
            "--shots",
            "0,2",
            "--mode",
            "completion",
            "--no-save",
        ],
        "",
    );
    let table = stdout(&o);
    assert!(
        table.contains("95 % CI") && table.contains("exact McNemar"),
        "{table}"
    );
    assert!(
        table.contains("not significant") || table.contains("b better"),
        "{table}"
    );
}

#[test]
fn an_arena_vote_is_saved_rated_and_exported_as_a_preference_pair() {
    let home = tempfile::tempdir().unwrap();
    let models = format!("{},{}", model(GEMMA), model(SMOL));
    // A bad answer first: asked again; then B.
    let o = howdah_in(
        home.path(),
        &[
            "arena",
            "--input",
            "Name a colour.",
            "--models",
            &models,
            "-t",
            "1",
            "-n",
            "6",
            "--temp",
            "0",
        ],
        "maybe\nb\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let err = stderr(&o);
    assert!(err.contains("not a vote"), "{err}");
    // Both replies come before the reveal, which names both models.
    let (a_at, b_at) = (out.find("── A ──").unwrap(), out.find("── B ──").unwrap());
    let reveal = out.find("A was ").expect("sides revealed after the vote");
    assert!(a_at < b_at && b_at < reveal, "{out}");
    assert!(
        !out[..reveal].contains(".gguf"),
        "models hidden until the vote: {out}"
    );
    let b_model = if out.contains(&format!("B was {GEMMA}")) {
        GEMMA
    } else {
        assert!(out.contains(&format!("B was {SMOL}")), "{out}");
        SMOL
    };
    assert!(err.contains("vote saved to"), "{err}");

    // The session holds both replies with their settings and the vote.
    let store = howdah::session::Store::new(home.path().join("data/sessions"));
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    let s = howdah::session::read_file(&listed[0].path).unwrap().session;
    assert_eq!(s.runs.len(), 2);
    for r in &s.runs {
        assert!(
            r.model.is_some() && r.sampling.is_some() && r.output.is_some(),
            "{r:?}"
        );
        assert_eq!(r.data["arena"]["vote"], "b");
    }
    assert_eq!(s.messages[0].content, "Name a colour.");

    // A second vote, given by flag: a tie.
    let o = howdah_in(
        home.path(),
        &[
            "arena", "--input", "Say hi.", "--models", &models, "-t", "1", "-n", "4", "--vote",
            "tie",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let o = howdah_in(home.path(), &["arena", "--ratings", "--format", "json"], "");
    let v = json(&o);
    assert_eq!(v["votes"], 2);
    let rs = v["ratings"].as_array().unwrap();
    assert_eq!(rs.len(), 2);
    // One win and one tie beat one loss and one tie.
    assert_eq!(rs[0]["name"], b_model);
    assert_eq!(rs[0]["wins"], 1);
    assert_eq!(rs[0]["ties"], 1);
    assert_eq!(rs[1]["losses"], 1);
    assert!(rs[0]["rating"].as_f64().unwrap() > rs[1]["rating"].as_f64().unwrap());
    let md = stdout(&howdah_in(
        home.path(),
        &["arena", "--ratings", "--format", "md"],
        "",
    ));
    assert!(md.contains("| 1 |") && md.contains("Bradley–Terry"), "{md}");

    // Preference pairs: the vote for B, not the tie.
    let file = home.path().join("prefs.jsonl");
    let o = howdah_in(
        home.path(),
        &["session", "export", "--preferences", file.to_str().unwrap()],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let p = &lines[0];
    assert_eq!(
        p["prompt"],
        serde_json::json!([{"role": "user", "content": "Name a colour."}])
    );
    let b_out = s
        .runs
        .iter()
        .find(|r| r.label == "B")
        .unwrap()
        .output
        .clone()
        .unwrap();
    assert_eq!(p["chosen"], b_out.as_str());
    assert!(p["rejected"].is_string());
}
