//! `churn score` as a nightly job: the contract's list, byte-identical reruns whatever the thread
//! count, refusal of mismatched models (exit 4), bad input (exit 3) without touching the output,
//! the drift alarm (exit 6, list still written), capacity, formats and the monitoring summary.

mod common;

use common::{dataset, TestEnv};

const AS_OF: &str = "2026-01-01";

/// Generated history (300 customers) and an event-mode model trained on it.
fn trained() -> TestEnv {
    common::trained("300", "7")
}

fn score_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    score_args_at(AS_OF, out, extra)
}

fn score_args_at<'a>(as_of: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "score", "--model", "latest", "--models", "models", "--data", "data", "--as-of", as_of,
        "--out", out,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn list_has_contract_columns_one_row_per_customer_sorted_by_risk() {
    let env = trained();
    env.run(&score_args("list.csv", &["--summary-json", "sum.json"]))
        .ok();
    let text = std::fs::read_to_string(env.path("list.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "rank,customer_id,churn_probability,risk_tier,revenue_at_risk,reason_1,reason_2,reason_3,suggested_action,model_id,as_of"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert!(rows.len() > 50, "population: {}", rows.len());
    let mut ids = std::collections::HashSet::new();
    let mut last = f64::INFINITY;
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 11, "{r:?}");
        assert_eq!(r[0], (k + 1).to_string());
        assert!(ids.insert(r[1].clone()), "duplicate customer {}", r[1]);
        let p: f64 = r[2].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&p) && p <= last,
            "not sorted at rank {}",
            k + 1
        );
        last = p;
        assert!(["high", "medium", "low"].contains(&r[3].as_str()));
        let revenue: f64 = r[4].parse().unwrap();
        assert!(revenue >= 0.0);
        for reason in &r[5..8] {
            if !reason.is_empty() {
                let (name, rest) = reason.split_once('=').unwrap();
                assert!(
                    !name.is_empty() && rest.contains(" (+"),
                    "reason {reason:?}"
                );
            }
        }
        assert!(!r[8].is_empty());
        assert_eq!(r[10], AS_OF);
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("sum.json")).unwrap()).unwrap();
    assert_eq!(summary["population"], rows.len());
    for key in [
        "tiers",
        "total_revenue_at_risk",
        "psi",
        "model_id",
        "timings",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }
    let high = rows.iter().filter(|r| r[3] == "high").count();
    assert_eq!(summary["tiers"]["high"], high);
}

#[test]
fn same_inputs_give_a_byte_identical_list_whatever_the_thread_count() {
    let env = trained();
    env.run_env(&score_args("one.csv", &[]), &[("RAYON_NUM_THREADS", "1")])
        .ok();
    env.run_env(&score_args("two.csv", &[]), &[("RAYON_NUM_THREADS", "2")])
        .ok();
    env.run_env(&score_args("three.csv", &[]), &[("RAYON_NUM_THREADS", "3")])
        .ok();
    let one = std::fs::read(env.path("one.csv")).unwrap();
    assert_eq!(one, std::fs::read(env.path("two.csv")).unwrap());
    assert_eq!(one, std::fs::read(env.path("three.csv")).unwrap());
}

/// `--cache`: the night that writes it and the nights that read it give the list of a score
/// without it, byte for byte (with change reasons against the night before, which loads from
/// that earlier date); a cache folder inside the data is refused before anything is written.
#[test]
fn a_score_through_the_cache_gives_the_same_list() {
    let env = trained();
    env.run(&score_args("plain.csv", &[])).ok();
    for night in ["first.csv", "second.csv"] {
        env.run(&score_args(night, &["--cache", "cache"])).ok();
        assert_eq!(
            std::fs::read(env.path("plain.csv")).unwrap(),
            std::fs::read(env.path(night)).unwrap(),
            "{night}"
        );
    }
    assert!(std::fs::read_dir(env.path("cache")).unwrap().count() >= 3);
    let next = "2026-01-02";
    env.run(&score_args_at(
        next,
        "next-plain.csv",
        &["--previous", "plain.csv"],
    ))
    .ok();
    let cached = ["--previous", "plain.csv", "--cache", "cache"];
    env.run(&score_args_at(next, "next-cached.csv", &cached))
        .ok();
    assert_eq!(
        std::fs::read(env.path("next-plain.csv")).unwrap(),
        std::fs::read(env.path("next-cached.csv")).unwrap()
    );
    env.run(&score_args("inside.csv", &["--cache", "data/cache"]))
        .code(2)
        .stderr_has(&["--cache", "outside the data"]);
    assert!(!env.path("inside.csv").exists());
    assert!(!env.path("data/cache").exists());
}

#[test]
fn training_is_deterministic_whatever_the_thread_count() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        "300",
        "--seed",
        "7",
    ])
    .ok();
    env.run_env(
        &["train", "--data", "data", "--models", "m1", "--json"],
        &[("RAYON_NUM_THREADS", "1")],
    )
    .ok();
    env.run_env(
        &["train", "--data", "data", "--models", "m2", "--json"],
        &[("RAYON_NUM_THREADS", "2")],
    )
    .ok();
    let coefficients = |dir: &str| {
        let id = std::fs::read_dir(env.path(dir))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(id.join("model.json")).unwrap()).unwrap();
        (
            m["coefficients"].clone(),
            m["intercept"].clone(),
            m["alpha"].clone(),
        )
    };
    assert_eq!(coefficients("m1"), coefficients("m2"));
}

#[test]
fn capacity_marks_exactly_the_top_n_high() {
    let env = trained();
    env.run(&score_args("list.csv", &["--capacity", "7"])).ok();
    let text = std::fs::read_to_string(env.path("list.csv")).unwrap();
    let tiers: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert!(tiers[..7].iter().all(|t| *t == "high"));
    assert!(tiers[7..].iter().all(|t| *t != "high"));
}

#[test]
fn parquet_and_jsonl_lists() {
    let env = trained();
    env.run(&score_args("list.parquet", &["--format", "parquet"]))
        .ok();
    let bytes = std::fs::read(env.path("list.parquet")).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    env.run(&score_args("list.jsonl", &["--format", "jsonl"]))
        .ok();
    let text = std::fs::read_to_string(env.path("list.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["rank"], 1);
    for key in [
        "customer_id",
        "churn_probability",
        "risk_tier",
        "revenue_at_risk",
        "reason_1",
        "suggested_action",
        "model_id",
        "as_of",
    ] {
        assert!(first.get(key).is_some(), "jsonl lacks {key}");
    }
}

#[test]
fn drift_above_max_psi_exits_6_and_still_writes_the_list() {
    let env = trained();
    env.run(&score_args("list.csv", &["--max-psi", "0"]))
        .code(6)
        .stderr_has(&["drift alarm", "--max-psi"]);
    assert!(env.path("list.csv").exists());
}

#[test]
fn a_model_from_another_feature_set_is_refused() {
    let env = trained();
    let telco = dataset("telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv");
    env.run(&[
        "train",
        "--table",
        telco.to_str().unwrap(),
        "--id",
        "customerID",
        "--label",
        "Churn",
        "--models",
        "tab",
    ])
    .ok();
    let mut args = score_args("list.csv", &[]);
    args[4] = "tab";
    env.run(&args)
        .code(4)
        .stderr_has(&["does not match", "tabular"]);
    // An event-mode model cannot score the telco table either.
    env.run(&[
        "score",
        "--model",
        "latest",
        "--models",
        "models",
        "--table",
        telco.to_str().unwrap(),
        "--out",
        "t.csv",
    ])
    .code(4)
    .stderr_has(&["does not match"]);
    assert!(!env.path("list.csv").exists() && !env.path("t.csv").exists());
}

#[test]
fn another_format_version_is_refused() {
    let env = trained();
    let id = std::fs::read_dir(env.path("models"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let model = id.join("model.json");
    let text = std::fs::read_to_string(&model).unwrap().replacen(
        "\"format_version\": 1",
        "\"format_version\": 99",
        1,
    );
    std::fs::write(&model, text).unwrap();
    env.run(&score_args("list.csv", &[]))
        .code(4)
        .stderr_has(&["format version 99"]);
}

#[test]
fn bad_input_exits_3_and_leaves_the_previous_list_untouched() {
    let env = trained();
    env.write("list.csv", "yesterday's list\n");
    let events = std::fs::read_to_string(env.path("data/events.csv")).unwrap();
    env.write(
        "data/events.csv",
        format!("{events}C0000001,not-a-time,login,1.0\n"),
    );
    env.run(&score_args("list.csv", &[])).code(3).stderr_has(&[
        "table `events`",
        "column `timestamp`",
        "not-a-time",
    ]);
    assert_eq!(
        std::fs::read_to_string(env.path("list.csv")).unwrap(),
        "yesterday's list\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".churn-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn unknown_model_exits_4() {
    let env = trained();
    let mut args = score_args("list.csv", &[]);
    args[2] = "no-such-model";
    env.run(&args).code(4).stderr_has(&["no-such-model"]);
}

#[test]
fn event_model_on_demo_data_learns_the_generators_story() {
    // The demo's data (churn demo: 2000 customers, seed 42): usage falls, open tickets pile up
    // and passives churn more before customers leave; the coefficients must say so.
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data"]).ok();
    let run = env
        .run(&["train", "--data", "data", "--models", "models", "--json"])
        .ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let auc = summary["holdout"]["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.7, "holdout ROC AUC {auc}");
    let id = summary["model_id"].as_str().unwrap();
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.path(&format!("models/{id}/model.json"))).unwrap(),
    )
    .unwrap();
    let coef = |name: &str| {
        let names = model["feature_names"].as_array().unwrap();
        let k = names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        model["coefficients"][k].as_f64().unwrap()
    };
    assert!(
        coef("open_tickets") > 0.0,
        "open_tickets {}",
        coef("open_tickets")
    );
    assert!(coef("events_7d") < 0.0, "events_7d {}", coef("events_7d"));
    assert!(
        coef("nps_passive") > 0.0,
        "nps_passive {}",
        coef("nps_passive")
    );
    assert!(
        coef("nps_promoter") < coef("nps_passive"),
        "promoters are safer than passives"
    );
}

/// The model ids of a registry, sorted (hidden staging folders skipped).
fn model_ids(models: &std::path::Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(models)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// A model file without the fields that name the run (id, creation time).
fn model_content(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("model.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fields = json.as_object_mut().unwrap();
    fields.remove("model_id").unwrap();
    fields.remove("created").unwrap();
    json
}

fn run_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    run_args_at(AS_OF, out, extra)
}

fn run_args_at<'a>(as_of: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run", "--data", "data", "--models", "models", "--as-of", as_of, "--out", out,
    ];
    a.extend_from_slice(extra);
    a
}

/// `churn train` on the generated data into `models/`, with `extra` flags.
fn train_into_models(env: &TestEnv, extra: &[&str]) {
    let mut a = vec!["train", "--data", "data", "--models", "models"];
    a.extend_from_slice(extra);
    env.run(&a).ok();
}

/// Whether the list file `rel` was scored with model `id` (its model_id column).
fn scored_with(env: &TestEnv, rel: &str, id: &str) -> bool {
    std::fs::read_to_string(env.path(rel)).unwrap().contains(id)
}

#[test]
fn run_trains_once_from_its_load_then_scores_like_train_and_score() {
    let env = common::generated("300", "7");
    let run = env
        .run(&run_args("run.csv", &["--summary-json", "-"]))
        .ok()
        .stderr_has(&["no model in models yet", "retraining"]);
    // The summary on standard output is JSON alone: the training's text stays off it.
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(summary["population"].as_u64().unwrap() > 50);
    let ids = model_ids(&env.path("models"));
    assert_eq!(ids.len(), 1, "{ids:?}");
    // The same model as `churn train` on the same data, but for its id and time.
    env.run(&["train", "--data", "data", "--models", "trained"])
        .ok();
    assert_eq!(
        model_content(&env.path("models").join(&ids[0])),
        model_content(&common::only_model(&env.path("trained")))
    );
    // The same list as `churn score` with that model, byte for byte.
    env.run(&[
        "score",
        "--model",
        &ids[0],
        "--models",
        "models",
        "--data",
        "data",
        "--as-of",
        AS_OF,
        "--out",
        "score.csv",
    ])
    .ok();
    let list = std::fs::read(env.path("run.csv")).unwrap();
    assert_eq!(list, std::fs::read(env.path("score.csv")).unwrap());
    assert!(String::from_utf8_lossy(&list).contains(&ids[0]));
    // The next night has no new complete month: no retraining, the same model and list.
    env.run(&run_args("run2.csv", &[]))
        .ok()
        .stderr_has(&["is current", "scoring only"]);
    assert_eq!(model_ids(&env.path("models")), ids);
    assert_eq!(list, std::fs::read(env.path("run2.csv")).unwrap());
    // Two months on, the dates say a month is due, but the data still ends in December: the
    // load finds no newer cutoff and scores with the current model.
    env.run(&run_args_at("2026-03-01", "march.csv", &[]))
        .ok()
        .stderr_has(&[
            "loading the whole history",
            "no complete month after 2025-12-01",
        ]);
    assert_eq!(model_ids(&env.path("models")), ids);
    assert!(scored_with(&env, "march.csv", &ids[0]));
}

#[test]
fn run_retrains_when_a_newer_month_of_labels_is_complete() {
    let env = common::generated("300", "7");
    train_into_models(&env, &["--snapshots", "2025-04-01..2025-10-01:monthly"]);
    let old = model_ids(&env.path("models"));
    // `never` scores with it as it is.
    env.run(&run_args("never.csv", &["--retrain", "never"]))
        .ok()
        .stderr_has(&["is current"]);
    assert!(scored_with(&env, "never.csv", &old[0]));
    env.run(&run_args("auto.csv", &[]))
        .ok()
        .stderr_has(&["retraining", "learnt up to the 2025-10-01 cutoff"]);
    let now = model_ids(&env.path("models"));
    assert_eq!(now.len(), 2, "{now:?}");
    let new: Vec<&String> = now.iter().filter(|id| !old.contains(id)).collect();
    assert!(
        scored_with(&env, "auto.csv", new[0]) && !scored_with(&env, "auto.csv", &old[0]),
        "the list is scored with the new model"
    );
    // Other training settings than the current model's retrain too; with the list on standard
    // output, the training summary stays off it.
    let run = env
        .run(&run_args("-", &["--terms", "linear"]))
        .ok()
        .stderr_has(&["trained with other settings", "trained "]);
    assert_eq!(model_ids(&env.path("models")).len(), 3);
    assert!(
        run.stdout.starts_with("rank,customer_id,"),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    // A model with a setting churn run has no flag for is not replaced by the defaults.
    train_into_models(&env, &["--max-levels", "5"]);
    env.run(&run_args("guard.csv", &[]))
        .code(2)
        .stderr_has(&["settings churn run does not set", "--retrain always"]);
    assert_eq!(model_ids(&env.path("models")).len(), 4);
    assert!(!env.path("guard.csv").exists());
}

#[test]
fn run_refuses_before_loading_or_registering_anything() {
    let env = common::generated("300", "7");
    // No model to score with.
    env.run(&run_args("list.csv", &["--retrain", "never"]))
        .code(4);
    // An output that would replace an input: refused before a model is trained.
    let events = env.path("data/events.csv");
    let before = std::fs::read(&events).unwrap();
    env.run(&run_args("data/events.csv", &[])).code(2);
    assert_eq!(std::fs::read(&events).unwrap(), before);
    // No cutoff with complete labels by the as-of date (the data starts 2024-01-01).
    env.run(&run_args_at("2024-03-01", "list.csv", &[]))
        .code(2)
        .stderr_has(&["no training cutoff has complete labels by 2024-03-01"]);
    // A previous list that cannot be read: refused before training too.
    env.write("old.csv", "rank,customer_id\n1,c1\n");
    env.run(&run_args("list.csv", &["--previous", "old.csv"]))
        .code(3);
    assert!(!env.path("models").exists());
    assert!(!env.path("list.csv").exists());
}

/// `churn run --cache` on a night that only scores reads through the cache, with the list of a
/// run without it.
#[test]
fn run_through_the_cache_scores_like_without() {
    let env = trained();
    env.run(&run_args("plain.csv", &["--retrain", "never"]))
        .ok();
    for night in ["first.csv", "second.csv"] {
        env.run(&run_args(
            night,
            &["--retrain", "never", "--cache", "cache"],
        ))
        .ok();
        assert_eq!(
            std::fs::read(env.path("plain.csv")).unwrap(),
            std::fs::read(env.path(night)).unwrap(),
            "{night}"
        );
    }
    assert!(std::fs::read_dir(env.path("cache")).unwrap().count() >= 3);
}
