//! `churn report` through the binary: event mode on generated data, tabular mode on telco.

mod common;

use churn::report::titles;
use common::{dataset, TestEnv};

/// The only model id in `env`'s `models/`.
fn only_model(env: &TestEnv) -> String {
    let mut ids: Vec<String> = std::fs::read_dir(env.path("models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids.pop().unwrap()
}

fn read(env: &TestEnv, rel: &str) -> String {
    std::fs::read_to_string(env.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The HTML has every section title, `min_svg` inline plots and nothing fetched from outside.
fn assert_self_contained(html: &str, min_svg: usize) {
    for title in titles::ALL {
        let heading = format!("<h2>{}</h2>", title.replace('&', "&amp;"));
        assert!(html.contains(&heading), "missing section {title:?}");
    }
    let n_svg = html.matches("<svg").count();
    assert!(
        n_svg >= min_svg,
        "{n_svg} inline SVGs, want at least {min_svg}"
    );
    for external in [
        "http://", "https://", "src=", "<script", "<link", "url(", "@import",
    ] {
        assert!(!html.contains(external), "HTML contains {external:?}");
    }
}

const LIST_HEADER: &str = "rank,customer_id,churn_probability,risk_tier,revenue_at_risk,reason_1,reason_2,reason_3,suggested_action,model_id,as_of";

#[test]
fn event_mode_report_has_every_section_inline() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--customers", "300"])
        .ok();
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    env.run(&["evaluate", "--model", "latest", "--models", "models"])
        .ok();
    env.write(
        "list.csv",
        format!("{LIST_HEADER}\n1,cust-xyz,0.91,high,1234.5,open_tickets=4 (+0.61),b,c,call,m,2026-01-01\n"),
    );
    env.run(&[
        "report", "--model", "latest", "--models", "models", "--data", "data", "--scores",
        "list.csv", "--out", "exp",
    ])
    .ok();
    let id = only_model(&env);
    let html = read(&env, &format!("exp/{id}.html"));
    let md = read(&env, &format!("exp/{id}.md"));
    // KPI chart, 6 feature histograms, 7 evaluation plots.
    assert_self_contained(&html, 14);
    assert!(html.contains("Holdout cutoff:"));
    assert!(html.contains("95 % low"));
    assert!(html.contains("cust-xyz"));
    assert!(md.matches("](data:image/png;base64,iVBOR").count() >= 14);
    assert!(md.contains("## Retention KPIs over time"));
}

#[test]
fn a_data_folder_that_fails_to_load_exits_3() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--customers", "300"])
        .ok();
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    std::fs::remove_file(env.path("data/customers.csv")).unwrap();
    env.run(&[
        "report", "--model", "latest", "--data", "data", "--out", "exp",
    ])
    .code(3)
    .stderr_has(&["customers"]);
    assert!(!env.path("exp").exists(), "nothing written on failure");
}

#[test]
fn tabular_report_has_the_distributions() {
    let env = TestEnv::new();
    let table = dataset("telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv");
    let table = table.to_str().unwrap();
    let tabular = ["--table", table, "--id", "customerID", "--label", "Churn"];
    env.run(&[&["train"], &tabular[..]].concat()).ok();
    env.run(&["evaluate", "--model", "latest", "--resamples", "200"])
        .ok();
    env.run(
        &[
            &["report", "--model", "latest", "--out", "exp"],
            &tabular[..],
        ]
        .concat(),
    )
    .ok();
    let id = only_model(&env);
    let html = read(&env, &format!("exp/{id}.html"));
    // 4 numeric telco features (SeniorCitizen, tenure, MonthlyCharges, TotalCharges) + 7 plots.
    assert_self_contained(&html, 11);
    assert!(html.contains("<tr><td>tenure</td>"));
    assert!(html.contains("<figcaption>tenure</figcaption>"));
    assert!(html.contains("7043 rows"));
    assert!(html.contains("No scores yet"));
}

#[test]
fn report_without_data_or_evaluation_still_builds() {
    let env = TestEnv::new();
    let table = dataset("telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv");
    env.run(&[
        "train",
        "--table",
        table.to_str().unwrap(),
        "--label",
        "Churn",
        "--id",
        "customerID",
    ])
    .ok();
    env.run(&["report", "--model", "latest"]).ok();
    let id = only_model(&env);
    let html = read(&env, &format!("notebooks-export/{id}.html"));
    assert_self_contained(&html, 0);
    assert!(html.contains("churn evaluate"));
    assert!(html.contains("No training data given"));
}

#[test]
fn unknown_model_exits_4() {
    let env = TestEnv::new();
    env.run(&["report", "--model", "nope", "--models", "models"])
        .code(4)
        .stderr_has(&["nope"]);
}
