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

/// Where `needle` starts in `html`, or a failure naming it.
fn position(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("missing {needle:?}"))
}

/// The parts (summary, CS lead, data scientist) and every section come in report order.
fn assert_section_order(html: &str) {
    let mut headings: Vec<String> = titles::PART_IDS
        .iter()
        .zip(titles::PARTS)
        .map(|(id, title)| format!("<section id=\"{id}\">\n<h2>{title}</h2>"))
        .collect();
    // The summary's text, then the CS lead's three sections, then the data scientist's.
    let (cs, ds) = titles::ALL.split_at(3);
    let h3 = |t: &&str| format!("<h3>{}</h3>", t.replace('&', "&amp;"));
    let ordered: Vec<String> = [headings[0].clone(), headings[1].clone()]
        .into_iter()
        .chain(cs.iter().map(h3))
        .chain([headings.remove(2)])
        .chain(ds.iter().map(h3))
        .collect();
    let at: Vec<usize> = ordered.iter().map(|h| position(html, h)).collect();
    for (pair, names) in at.windows(2).zip(ordered.windows(2)) {
        assert!(
            pair[0] < pair[1],
            "{:?} comes after {:?}",
            names[0],
            names[1]
        );
    }
}

/// The HTML has every part and section in order, `min_svg` inline plots and nothing fetched
/// from outside.
fn assert_self_contained(html: &str, min_svg: usize) {
    assert_section_order(html);
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
    // KPI charts, 6 feature figures, 7 evaluation plots.
    assert_self_contained(&html, 14);
    assert!(html.contains("Holdout cutoff:"));
    assert!(html.contains("95 % low"));
    assert!(html.contains("cust-xyz"));
    assert!(md.contains("### Retention KPIs over time"));
    assert_markdown_links_its_pngs(&env, &md, &id, 14);
}

/// Every image of the Markdown is a PNG file in `exp/<id>_files/`, none inline.
fn assert_markdown_links_its_pngs(env: &TestEnv, md: &str, id: &str, min: usize) {
    assert!(!md.contains("base64"), "inline image data in the Markdown");
    let prefix = format!("]({id}_files/");
    let links: Vec<&str> = md
        .match_indices(&prefix)
        .map(|(at, _)| {
            let rest = &md[at + prefix.len()..];
            &rest[..rest.find(')').unwrap()]
        })
        .collect();
    assert!(
        links.len() >= min,
        "{} PNG links, want at least {min}",
        links.len()
    );
    for file in links {
        let png = std::fs::read(env.path(&format!("exp/{id}_files/{file}")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{file} is not a PNG");
    }
}

#[test]
fn summary_opens_the_report_and_names_the_model_once_without_machine_paths() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--customers", "300"])
        .ok();
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    env.run(&["evaluate", "--model", "latest", "--resamples", "100"])
        .ok();
    let id = only_model(&env);
    let list = env.path("list.csv");
    env.write(
        "list.csv",
        format!("{LIST_HEADER}\n1,cust-a,0.91,high,100.5,open_tickets=4 (+0.61),b,c,call,{id},2026-01-01\n2,cust-b,0.21,medium,20,x,y,z,call,{id},2026-01-01\n"),
    );
    // An absolute list path must not reach the report.
    env.run(&[
        "report",
        "--model",
        "latest",
        "--data",
        "data",
        "--scores",
        list.to_str().unwrap(),
        "--out",
        "exp",
    ])
    .ok();
    let html = read(&env, &format!("exp/{id}.html"));
    let body = &html[position(&html, "<body>")..];
    assert_eq!(
        body.matches(id.as_str()).count(),
        1,
        "model id once, in the title"
    );
    let summary = &body
        [position(body, "<section id=\"summary\">")..position(body, "<section id=\"cs-lead\">")];
    for fragment in [
        "What it is for: ranking customers by their probability of cancelling within 30 days",
        "holdout ROC AUC",
        "95 % interval",
        "Top-decile lift",
        "Calibration: mean predicted probability",
        "The list: 2 customers, revenue at risk 120.50",
        "<tr><td>high</td>",
        "<td class=\"num\">100.50</td>",
    ] {
        assert!(
            summary.contains(fragment),
            "summary lacks {fragment:?}:\n{summary}"
        );
    }
    let root = env.dir.path().to_string_lossy().into_owned();
    let tmp = std::env::temp_dir().to_string_lossy().into_owned();
    for machine in [root.as_str(), tmp.as_str(), "/home/", "/work/"] {
        assert!(
            !html.contains(machine),
            "the report shows a machine path {machine:?}"
        );
    }
    assert!(html.contains("from list.csv."));
    // The long KPI table is folded; the gains table and the confusion matrix are there.
    assert!(html.contains("<details>\n<summary>The KPI table:"));
    assert!(html.contains("<th class=\"num\">cumulative lift</th>"));
    assert!(html.contains("<td>contacted (top "));
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
    // SeniorCitizen is 0/1: bars of each class's share, not a two-bin histogram.
    assert!(html.contains("Share with SeniorCitizen = 1"));
    assert!(html.contains("7043 rows"));
    assert!(html.contains("No scores yet"));
    // The table was given by its absolute path: only its name is shown.
    assert!(html.contains("WA_Fn-UseC_-Telco-Customer-Churn.csv: 7043 rows"));
    assert!(!html.contains("shared/datasets"));
    assert!(html.contains("<th class=\"num\">score at least</th>"));
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

#[test]
fn the_cs_lead_part_shows_changes_and_outcomes_of_the_loop() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--customers", "800"])
        .ok();
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    let score = |as_of: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "score", "--model", "latest", "--models", "models", "--data", "data", "--as-of", as_of,
            "--out", out,
        ];
        args.extend_from_slice(extra);
        env.run(&args).ok();
    };
    score("2025-12-01", "campaign.csv", &["--control-share", "0.3"]);
    score("2026-01-01", "tonight.csv", &["--previous", "campaign.csv"]);
    // Without the loop's inputs, the sections say what will appear there.
    env.run(&[
        "report",
        "--model",
        "latest",
        "--models",
        "models",
        "--data",
        "data",
        "--scores",
        "tonight.csv",
        "--out",
        "plain",
    ])
    .ok();
    let id = only_model(&env);
    let plain = read(&env, &format!("plain/{id}.html"));
    assert_eq!(plain.matches("Not available: give").count(), 2);
    env.run(&[
        "report",
        "--model",
        "latest",
        "--models",
        "models",
        "--data",
        "data",
        "--scores",
        "tonight.csv",
        "--previous",
        "campaign.csv",
        "--outcomes",
        "campaign.csv",
        "--out",
        "exp",
    ])
    .ok();
    let html = read(&env, &format!("exp/{id}.html"));
    assert_section_order(&html);
    assert!(!html.contains("Not available: give"));
    let changes = env
        .run(&[
            "changes",
            "--list",
            "tonight.csv",
            "--previous",
            "campaign.csv",
            "--json",
            "-",
        ])
        .ok();
    let c: serde_json::Value = serde_json::from_str(&changes.stdout).unwrap();
    let outcomes = env
        .run(&[
            "outcomes",
            "--list",
            "campaign.csv",
            "--data",
            "data",
            "--json",
            "-",
        ])
        .ok();
    let o: serde_json::Value = serde_json::from_str(&outcomes.stdout).unwrap();
    // The summary carries one line for each, with the same numbers as the commands print.
    let summary = &html[..position(&html, "<section id=\"cs-lead\">")];
    let entered = format!(
        "since 2025-12-01, {} entered the high tier and {} left it",
        c["newly_high"].as_array().unwrap().len(),
        c["left_high"].as_array().unwrap().len()
    );
    assert!(summary.contains(&entered), "{entered}");
    let all_outreach = o["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tier"] == "all" && r["group"] == "outreach")
        .unwrap();
    let rate = format!(
        "{:.1} % of outreach and",
        all_outreach["churn_rate"].as_f64().unwrap() * 100.0
    );
    assert!(summary.contains(&rate), "{rate}");
    // The CS lead's part has the riser table and the outcomes chart inline.
    let cs = &html[position(&html, "<section id=\"cs-lead\">")
        ..position(&html, "<section id=\"data-scientist\">")];
    let top_riser = c["biggest_risers"][0]["customer_id"].as_str().unwrap();
    assert!(cs.contains(top_riser));
    assert!(cs.contains("Churn rate by tier and group"));
    assert!(cs.matches("<svg").count() >= 1);
}
