//! `churn metrics` and `churn evaluate` through the binary.

mod common;

use common::{fixture, TestEnv};

// sklearn 1.9.1 roc_auc_score on tests/fixtures/metrics_golden.csv (see tests/fixtures/README.md).
const GOLDEN_ROC_AUC: f64 = 0.7459133815967869;

fn metric_value(json: &serde_json::Value, key: &str) -> f64 {
    json[key]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key}.value in {json}"))
}

#[test]
fn metrics_prints_every_metric_as_json() {
    let env = TestEnv::new();
    let file = fixture("metrics_golden.csv");
    let run = env
        .run(&[
            "metrics",
            "--predictions",
            file.to_str().unwrap(),
            "--label",
            "label",
            "--score",
            "score",
            "--resamples",
            "200",
        ])
        .ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    for key in [
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "top_decile_lift",
        "precision_at_capacity",
        "recall_at_capacity",
    ] {
        let m = &json[key];
        assert!(
            m["value"].is_f64() && m["ci_low"].is_f64() && m["ci_high"].is_f64(),
            "{key}: {m}"
        );
    }
    assert!((metric_value(&json, "roc_auc") - GOLDEN_ROC_AUC).abs() < 1e-12);
    assert_eq!(
        (
            json["n"].as_u64(),
            json["positives"].as_u64(),
            json["capacity"].as_u64()
        ),
        (Some(500), Some(97), Some(50))
    );
}

#[test]
fn metrics_accepts_yes_no_labels() {
    let env = TestEnv::new();
    env.write("p.csv", "churned,p\nYes,0.9\nno,0.2\nYES,0.6\nNo,0.7\n");
    let run = env
        .run(&[
            "metrics",
            "--predictions",
            "p.csv",
            "--label",
            "churned",
            "--score",
            "p",
            "--resamples",
            "50",
        ])
        .ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // Positives 0.9, 0.6 against negatives 0.2, 0.7: 3 of 4 pairs ordered.
    assert!((metric_value(&json, "roc_auc") - 0.75).abs() < 1e-12);
}

#[test]
fn metrics_missing_column_exits_3_naming_it() {
    let env = TestEnv::new();
    let file = fixture("metrics_golden.csv");
    env.run(&[
        "metrics",
        "--predictions",
        file.to_str().unwrap(),
        "--label",
        "label",
        "--score",
        "prob",
    ])
    .code(3)
    .stderr_has(&["`prob`", "label, score"]);
}

#[test]
fn metrics_bad_score_exits_3_naming_the_row() {
    let env = TestEnv::new();
    env.write("p.csv", "y,s\n1,0.9\n0,n/a\n");
    env.run(&[
        "metrics",
        "--predictions",
        "p.csv",
        "--label",
        "y",
        "--score",
        "s",
    ])
    .code(3)
    .stderr_has(&["column `s`", "row 2 (line 3)", "n/a"]);
}

#[test]
fn metrics_single_class_exits_3() {
    let env = TestEnv::new();
    env.write("p.csv", "y,s\n1,0.9\ntrue,0.4\n");
    env.run(&[
        "metrics",
        "--predictions",
        "p.csv",
        "--label",
        "y",
        "--score",
        "s",
    ])
    .code(3)
    .stderr_has(&["only one class"]);
}

/// Train a tabular model on bigml_telecom's 80 file; returns its id.
fn train_model(env: &TestEnv) -> String {
    let data = common::dataset("bigml_telecom/churn-bigml-80.csv");
    let run = env
        .run(&[
            "train",
            "--table",
            data.to_str().unwrap(),
            "--label",
            "Churn",
            "--json",
        ])
        .ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    summary["model_id"].as_str().unwrap().to_string()
}

#[test]
fn evaluate_latest_writes_plots_and_metrics() {
    let env = TestEnv::new();
    let older = train_model(&env);
    let newest = train_model(&env);
    let run = env
        .run(&["evaluate", "--model", "latest", "--resamples", "100"])
        .ok();
    assert!(
        run.stdout.contains("ROC AUC") && run.stdout.contains(&newest),
        "{}",
        run.stdout
    );
    let plots = env.path(&format!("models/{newest}/plots"));
    let stems = [
        "roc",
        "pr",
        "calibration",
        "cumulative_gains",
        "lift_by_decile",
        "score_distribution",
        "odds_ratios",
    ];
    for stem in stems {
        let png = std::fs::read(plots.join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png signature");
        assert_eq!(&png[12..16], b"IHDR");
        assert!(png.len() > 10_000, "{stem}.png is {} bytes", png.len());
        let svg = std::fs::read_to_string(plots.join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{stem}.svg"
        );
    }
    assert_eq!(
        std::fs::read_dir(&plots).unwrap().count(),
        14,
        "exactly 14 plot files"
    );
    let roc_svg = std::fs::read_to_string(plots.join("roc.svg")).unwrap();
    assert!(roc_svg.contains("ROC curve") && roc_svg.contains("False positive rate"));
    let odds_svg = std::fs::read_to_string(plots.join("odds_ratios.svg")).unwrap();
    assert!(odds_svg.contains("Customer service calls"));
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.path(&format!("models/{newest}/metrics.json"))).unwrap(),
    )
    .unwrap();
    assert!(
        metrics["cv"].is_array(),
        "training's CV table kept: {metrics}"
    );
    assert_eq!(
        metrics["evaluation"]["n"], 2666,
        "out-of-fold predictions of every row"
    );
    assert_eq!(metrics["evaluation"]["n_resamples"], 100);
    assert!(metrics["evaluation"]["roc_auc"]["value"].as_f64().unwrap() > 0.75);
    assert!(!env.path(&format!("models/{older}/plots")).exists());
}

#[test]
fn evaluate_unknown_model_exits_4() {
    let env = TestEnv::new();
    env.run(&["evaluate", "--model", "m2"])
        .code(4)
        .stderr_has(&["`m2`", "not found"]);
    env.run(&["evaluate", "--model", "latest", "--models", "elsewhere"])
        .code(4);
}

fn evaluation_of(env: &TestEnv, id: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(env.path(&format!("models/{id}/metrics.json"))).unwrap();
    let metrics: serde_json::Value = serde_json::from_str(&text).unwrap();
    metrics["evaluation"].clone()
}

#[test]
fn evaluation_records_gains_with_revenue_and_the_confusion_at_the_high_tier() {
    let env = common::trained("400", "3");
    env.run(&["evaluate", "--model", "latest", "--resamples", "50"])
        .ok();
    let id = common::only_model(&env.path("models"))
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let e = evaluation_of(&env, &id);
    let n = e["n"].as_f64().unwrap();
    // Quantile bins by default: every bin holds rows, edges follow the predictions.
    assert_eq!(e["calibration_strategy"], "quantile");
    let bins = e["calibration"].as_array().unwrap();
    assert!(
        bins.iter().all(|b| b["count"].as_u64().unwrap() > 0),
        "{bins:?}"
    );
    assert!(bins[9]["upper"].as_f64().unwrap() < 1.0);
    // The gains table ends with every churner and all of their revenue.
    let gains = e["gains"].as_array().unwrap();
    assert_eq!(gains.len(), 10);
    let last = &gains[9];
    assert!((last["cumulative_capture"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((last["cumulative_revenue_capture"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let first = gains[0]["cumulative_revenue_capture"].as_f64().unwrap();
    assert!(first > 0.0 && first <= 1.0);
    // Capacity: the rows the model's high tier marks on the holdout.
    assert_eq!(e["capacity_basis"], "high_tier");
    let model = common::only_model_json(&env.path("models"));
    let high = model["tiers"]["high"].as_f64().unwrap();
    let text = std::fs::read_to_string(env.path(&format!("models/{id}/predictions.csv"))).unwrap();
    let marked = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap() >= high)
        .count();
    let c = &e["confusion_at_capacity"];
    assert_eq!(c["capacity"].as_u64(), Some(marked as u64));
    let cell = |k: &str| c[k].as_f64().unwrap();
    let total = cell("true_positives")
        + cell("false_positives")
        + cell("false_negatives")
        + cell("true_negatives");
    assert!((total - n).abs() < 1e-9);
    assert!(
        (cell("true_positives") + cell("false_negatives") - e["positives"].as_f64().unwrap()).abs()
            < 1e-9
    );
}

#[test]
fn uniform_calibration_bins_and_a_given_capacity_are_recorded() {
    let env = TestEnv::new();
    let id = train_model(&env);
    env.run(&[
        "evaluate",
        "--model",
        "latest",
        "--resamples",
        "50",
        "--calibration-bins",
        "uniform",
        "--capacity",
        "50",
    ])
    .ok()
    .stdout_has(&["confusion at capacity 50 (as given"]);
    let e = evaluation_of(&env, &id);
    assert_eq!(e["calibration_strategy"], "uniform");
    let edges: Vec<f64> = e["calibration"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["lower"].as_f64().unwrap())
        .collect();
    assert_eq!(edges[0], 0.0);
    assert!((edges[5] - 0.5).abs() < 1e-12);
    assert_eq!(e["capacity_basis"], "given");
    assert_eq!(e["confusion_at_capacity"]["capacity"], 50);
    // A table without monthly_revenue: the revenue column is null.
    assert!(e["gains"][0]["cumulative_revenue_capture"].is_null());
    env.run(&[
        "evaluate",
        "--model",
        "latest",
        "--calibration-bins",
        "equal",
    ])
    .code(2);
}
