//! Tabular tables as they come: identifier columns left out, columns dropped or read as
//! categories on request, revenue at risk from a named column, leaked columns dropped and the
//! model retrained.

mod common;

use common::TestEnv;

/// A bank-like table: a row counter, a customer number, a surname, an integer-coded status,
/// a balance, a complaint flag that is the label itself, and the label.
fn bank(env: &TestEnv) -> String {
    let mut text = String::from("RowNumber,CustomerId,Surname,Status,Balance,Complain,Exited\n");
    for i in 0..600u64 {
        let status = 1 + (i * 7 % 3 == 0) as u64;
        let balance = (i * 7919 % 1000) as f64 * 1.5;
        // Churn rises with status 2 and with balance, plus some noise.
        let score =
            balance / 1500.0 + if status == 2 { 0.4 } else { 0.0 } + (i * 31 % 17) as f64 / 40.0;
        let exited = u8::from(score > 0.9);
        text += &format!(
            "{},{},name{},{status},{balance},{exited},{exited}\n",
            i + 1,
            15_600_000 + i * 13,
            i % 150
        );
    }
    env.write("bank.csv", &text).to_str().unwrap().to_string()
}

fn model_json(env: &TestEnv) -> serde_json::Value {
    common::only_model_json(&env.path("models"))
}

fn sources(model: &serde_json::Value) -> Vec<String> {
    model["source_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn identifiers_are_left_out_and_leaked_columns_dropped_on_request() {
    let env = TestEnv::new();
    let t = bank(&env);
    let run = env
        .run(&[
            "train",
            "--table",
            &t,
            "--label",
            "Exited",
            "--models",
            "models",
            "--drop-leaky",
            "--categorical",
            "Status",
        ])
        .ok();
    assert!(
        run.stderr.contains("left out `RowNumber`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("left out `CustomerId`"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("trained without possibly leaked columns: Complain"));
    let model = model_json(&env);
    assert_eq!(sources(&model), ["Surname", "Status", "Balance"]);
    let names: Vec<&str> = model["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Status=1") && names.contains(&"Status=2"),
        "{names:?}"
    );
    assert!(model["leak_flags"].as_array().unwrap().is_empty());
}

#[test]
fn drop_removes_named_columns_and_refuses_unknown_ones() {
    let env = TestEnv::new();
    let t = bank(&env);
    env.run(&[
        "train",
        "--table",
        &t,
        "--label",
        "Exited",
        "--models",
        "models",
        "--drop",
        "Surname,Complain",
    ])
    .ok();
    assert_eq!(sources(&model_json(&env)), ["Status", "Balance"]);
    env.run(&[
        "train", "--table", &t, "--label", "Exited", "--models", "m2", "--drop", "Nope",
    ])
    .code(3)
    .stderr_has(&["Nope"]);
    env.run(&[
        "train",
        "--table",
        &t,
        "--label",
        "Exited",
        "--models",
        "m2",
        "--categorical",
        "Nope",
    ])
    .code(3)
    .stderr_has(&["Nope"]);
}

#[test]
fn revenue_at_risk_comes_from_the_named_column_and_is_never_negative_zero() {
    let env = TestEnv::new();
    let t = bank(&env);
    env.run(&[
        "train", "--table", &t, "--label", "Exited", "--models", "models", "--drop", "Complain",
    ])
    .ok();
    let score = |extra: &[&str]| {
        let mut args = vec![
            "score",
            "--model",
            "latest",
            "--models",
            "models",
            "--table",
            &t,
            "--out",
            "list.csv",
            "--summary-json",
            "summary.json",
        ];
        args.extend_from_slice(extra);
        env.run(&args).ok();
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(env.path("summary.json")).unwrap())
                .unwrap();
        let list = std::fs::read_to_string(env.path("list.csv")).unwrap();
        (summary["total_revenue_at_risk"].clone(), list)
    };
    let (total, list) = score(&[]);
    assert_eq!(
        total.to_string(),
        "0.0",
        "no revenue column: zero, not -0.0"
    );
    assert!(list.lines().nth(1).unwrap().split(',').nth(4) == Some(""));
    let (total, list) = score(&["--revenue", "Balance"]);
    assert!(total.as_f64().unwrap() > 0.0);
    let first: Vec<&str> = list.lines().nth(1).unwrap().split(',').collect();
    let p: f64 = first[2].parse().unwrap();
    let revenue: f64 = first[4].parse().unwrap();
    assert!(revenue > 0.0 && revenue <= p * 1500.0 * 12.0 + 0.01);
    env.run(&[
        "score",
        "--model",
        "latest",
        "--models",
        "models",
        "--table",
        &t,
        "--out",
        "l.csv",
        "--revenue",
        "Surname",
    ])
    .code(3)
    .stderr_has(&["Surname", "numbers"]);
}
