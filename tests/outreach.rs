//! The outreach loop: control groups, changes since the previous list, `churn changes`,
//! `churn outcomes` against a known treatment effect, capacity in revenue, lists per owner.

mod common;

use std::collections::{HashMap, HashSet};

use common::TestEnv;

const BEFORE: &str = "2025-11-01";
const NOW: &str = "2025-12-01";

/// One list read back: the header and rows keyed by column name.
struct List {
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
}

impl List {
    fn read(env: &TestEnv, rel: &str) -> List {
        let text = std::fs::read_to_string(env.path(rel)).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let rows = lines
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                assert_eq!(cells.len(), header.len(), "{l}");
                header
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(|c| c.to_string()))
                    .collect()
            })
            .collect();
        List { header, rows }
    }

    fn by_id(&self) -> HashMap<String, &HashMap<String, String>> {
        self.rows
            .iter()
            .map(|r| (r["customer_id"].clone(), r))
            .collect()
    }

    fn num(row: &HashMap<String, String>, col: &str) -> f64 {
        row[col]
            .parse()
            .unwrap_or_else(|_| panic!("{col}: {:?}", row[col]))
    }
}

fn score<'a>(env: &TestEnv, as_of: &'a str, out: &'a str, extra: &[&'a str]) -> common::Run {
    let mut args = vec![
        "score", "--model", "latest", "--models", "models", "--data", "data", "--as-of", as_of,
        "--out", out,
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// The contract's eleven columns.
const ELEVEN: [&str; 11] = churn::schema::AT_RISK_COLUMNS;

#[test]
fn control_groups_are_stable_per_customer_and_hold_their_share_in_every_tier() {
    let env = common::trained("2000", "11");
    let groups = ["--control-share", "0.3", "--campaign", "winter"];
    score(&env, BEFORE, "before.csv", &groups).ok();
    score(&env, NOW, "now.csv", &groups).ok();
    score(&env, NOW, "plain.csv", &[]).ok();
    let (before, now, plain) = (
        List::read(&env, "before.csv"),
        List::read(&env, "now.csv"),
        List::read(&env, "plain.csv"),
    );
    let mut expected: Vec<&str> = ELEVEN.to_vec();
    assert_eq!(
        plain.header, expected,
        "no group column without --control-share"
    );
    expected.push("group");
    assert_eq!(now.header, expected);
    // Night after night, the same customer is in the same group.
    let earlier = before.by_id();
    let mut common_customers = 0;
    for r in &now.rows {
        if let Some(b) = earlier.get(&r["customer_id"]) {
            assert_eq!(b["group"], r["group"], "{}", r["customer_id"]);
            common_customers += 1;
        }
    }
    assert!(common_customers > 500, "{common_customers}");
    // The rest of the list is the plain list's, byte for byte.
    for (a, b) in now.rows.iter().zip(&plain.rows) {
        for c in ELEVEN {
            assert_eq!(a[c], b[c]);
        }
    }
    // The share holds within each tier (binomial bounds, 4 standard deviations).
    for tier in ["high", "medium", "low", ""] {
        let rows: Vec<_> = now
            .rows
            .iter()
            .filter(|r| tier.is_empty() || r["risk_tier"] == tier)
            .collect();
        let n = rows.len() as f64;
        let control = rows.iter().filter(|r| r["group"] == "control").count() as f64;
        assert!(rows
            .iter()
            .all(|r| ["control", "outreach"].contains(&r["group"].as_str())));
        let sd = (n * 0.3 * 0.7).sqrt();
        assert!(
            (control - 0.3 * n).abs() <= 4.0 * sd + 1.0,
            "{tier}: {control} of {n}"
        );
    }
    // Another campaign draws other groups.
    score(
        &env,
        NOW,
        "spring.csv",
        &["--control-share", "0.3", "--campaign", "spring"],
    )
    .ok();
    let spring = List::read(&env, "spring.csv");
    let moved = spring
        .rows
        .iter()
        .zip(&now.rows)
        .filter(|(a, b)| a["group"] != b["group"])
        .count();
    assert!(moved > now.rows.len() / 5, "{moved}");
}

#[test]
fn outreach_only_leaves_the_control_group_out_and_capacity_counts_outreach() {
    let env = common::trained("2000", "11");
    let args = [
        "--control-share",
        "0.25",
        "--capacity",
        "40",
        "--summary-json",
        "s.json",
    ];
    score(&env, NOW, "all.csv", &args).ok();
    let mut only = args.to_vec();
    only.push("--outreach-only");
    score(&env, NOW, "cs.csv", &only).ok();
    let (all, cs) = (List::read(&env, "all.csv"), List::read(&env, "cs.csv"));
    let outreach: Vec<_> = all
        .rows
        .iter()
        .filter(|r| r["group"] == "outreach")
        .collect();
    assert_eq!(cs.rows.len(), outreach.len());
    assert!(cs.rows.iter().all(|r| r["group"] == "outreach"));
    for (a, b) in cs.rows.iter().zip(&outreach) {
        assert_eq!(&a["rank"], &b["rank"], "ranks are the whole list's");
    }
    // Exactly 40 outreach customers are high; control customers ranked among them are high too.
    let high_outreach = outreach.iter().filter(|r| r["risk_tier"] == "high").count();
    assert_eq!(high_outreach, 40);
    let last_high: usize = all
        .rows
        .iter()
        .filter(|r| r["risk_tier"] == "high")
        .map(|r| r["rank"].parse::<usize>().unwrap())
        .max()
        .unwrap();
    for r in &all.rows {
        let rank: usize = r["rank"].parse().unwrap();
        assert_eq!(r["risk_tier"] == "high", rank <= last_high, "rank {rank}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("s.json")).unwrap()).unwrap();
    let by_tier = &summary["control"]["by_tier"][0];
    assert_eq!(by_tier["tier"], "high");
    assert_eq!(by_tier["outreach"], 40);
}

/// The value of a rendered number (`12`, `0.5`, `1.2e+03`).
fn value(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

#[test]
fn changes_name_what_moved_between_the_two_dates() {
    let env = common::trained("2000", "11");
    score(&env, BEFORE, "before.csv", &[]).ok();
    score(
        &env,
        NOW,
        "now.csv",
        &["--previous", "before.csv", "--summary-json", "s.json"],
    )
    .ok();
    env.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        BEFORE,
        "--out",
        "f_before.csv",
    ])
    .ok();
    env.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        NOW,
        "--out",
        "f_now.csv",
    ])
    .ok();
    let (before, now) = (List::read(&env, "before.csv"), List::read(&env, "now.csv"));
    let mut expected: Vec<&str> = ELEVEN.to_vec();
    expected.extend([
        "previous_rank",
        "previous_tier",
        "probability_change",
        "change_reason",
    ]);
    assert_eq!(now.header, expected);
    let (f_before, f_now) = (
        List::read(&env, "f_before.csv"),
        List::read(&env, "f_now.csv"),
    );
    let (f_before, f_now, earlier) = (f_before.by_id(), f_now.by_id(), before.by_id());
    let mut with_reason = 0;
    for r in &now.rows {
        let Some(b) = earlier.get(&r["customer_id"]) else {
            for c in [
                "previous_rank",
                "previous_tier",
                "probability_change",
                "change_reason",
            ] {
                assert_eq!(r[c], "", "a new customer has no previous {c}");
            }
            continue;
        };
        assert_eq!(r["previous_rank"], b["rank"]);
        assert_eq!(r["previous_tier"], b["risk_tier"]);
        let change = List::num(r, "probability_change");
        let expected = List::num(r, "churn_probability") - List::num(b, "churn_probability");
        assert!((change - expected).abs() < 2e-6, "{change} vs {expected}");
        if r["change_reason"].is_empty() {
            continue;
        }
        with_reason += 1;
        // `feature before -> after (+push)`: both values are the features at the two dates.
        let reason = &r["change_reason"];
        let (feature, rest) = reason.split_once(' ').unwrap();
        let (was, rest) = rest.split_once(" -> ").unwrap();
        let (is, push) = rest.split_once(" (").unwrap();
        let id = &r["customer_id"];
        for (text, table) in [(was, &f_before), (is, &f_now)] {
            if text == "missing" {
                assert_eq!(table[id][feature], "", "{id}: {reason}");
                continue;
            }
            let actual = List::num(table[id], feature);
            let shown = value(text);
            assert!(
                (shown - actual).abs() <= 0.01 * actual.abs().max(1.0),
                "{id}: {reason}: {feature} is {actual}"
            );
        }
        let push = value(push.trim_end_matches(')'));
        assert!(push.abs() >= 0.01, "{reason}");
    }
    assert!(with_reason > 100, "{with_reason}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("s.json")).unwrap()).unwrap();
    let changes = &summary["changes"];
    let newly_high: HashSet<&str> = changes["newly_high"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected_high: HashSet<&str> = now
        .rows
        .iter()
        .filter(|r| r["risk_tier"] == "high" && r["previous_tier"] != "high")
        .map(|r| r["customer_id"].as_str())
        .collect();
    assert_eq!(newly_high, expected_high);
    let risers = changes["biggest_risers"].as_array().unwrap();
    assert_eq!(risers.len(), 10);
    let top = now
        .rows
        .iter()
        .filter(|r| !r["probability_change"].is_empty())
        .map(|r| List::num(r, "probability_change"))
        .fold(f64::MIN, f64::max);
    assert!((risers[0]["probability_change"].as_f64().unwrap() - top).abs() < 2e-6);
    // The terminal view for a CS lead says the same.
    env.run(&["changes", "--list", "now.csv", "--previous", "before.csv"])
        .ok()
        .stdout_has(&[
            &format!("{BEFORE} -> {NOW}"),
            &format!("newly high risk ({})", newly_high.len()),
            "biggest risers (20)",
            risers[0]["customer_id"].as_str().unwrap(),
        ]);
}

#[test]
fn previous_last_is_the_list_being_replaced_and_a_later_previous_is_refused() {
    let env = common::trained("500", "3");
    // The first night has no previous list: every customer is new, the columns are there.
    score(&env, BEFORE, "nightly.csv", &["--previous", "last"]).ok();
    let first = List::read(&env, "nightly.csv");
    assert!(first.header.contains(&"change_reason".to_string()));
    assert!(first.rows.iter().all(|r| r["previous_rank"].is_empty()));
    score(&env, NOW, "nightly.csv", &["--previous", "last"]).ok();
    let second = List::read(&env, "nightly.csv");
    let earlier = first.by_id();
    let known = second
        .rows
        .iter()
        .filter(|r| earlier.contains_key(&r["customer_id"]))
        .collect::<Vec<_>>();
    assert!(!known.is_empty());
    for r in known {
        assert_eq!(r["previous_rank"], earlier[&r["customer_id"]]["rank"]);
    }
    // The previous list is read by its content, whatever its name: JSON Lines named .json.
    score(&env, BEFORE, "before.json", &["--format", "jsonl"]).ok();
    score(&env, NOW, "from-json.csv", &["--previous", "before.json"]).ok();
    let from_json = List::read(&env, "from-json.csv");
    assert!(from_json
        .rows
        .iter()
        .any(|r| !r["previous_rank"].is_empty()));
    // A previous list from after this one: refused before anything is written.
    let before = std::fs::read(env.path("nightly.csv")).unwrap();
    score(&env, BEFORE, "nightly.csv", &["--previous", "last"])
        .code(2)
        .stderr_has(&["previous list is as of 2025-12-01, after"]);
    assert_eq!(std::fs::read(env.path("nightly.csv")).unwrap(), before);
}

#[test]
fn a_broken_previous_list_names_the_file_column_and_row() {
    let env = common::trained("300", "7");
    score(&env, NOW, "good.csv", &[]).ok();
    let text = std::fs::read_to_string(env.path("good.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let row2: Vec<&str> = lines[2].split(',').collect();
    let mut bad = row2.clone();
    bad[2] = "1.5";
    let broken = format!("{}\n{}\n{}\n", lines[0], lines[1], bad.join(","));
    env.write("broken.csv", broken);
    score(&env, NOW, "out.csv", &["--previous", "broken.csv"])
        .code(3)
        .stderr_has(&["broken.csv", "churn_probability", "row 2", "1.5"]);
    let dup = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[1]);
    env.write("dup.csv", dup);
    score(&env, NOW, "out.csv", &["--previous", "dup.csv"])
        .code(3)
        .stderr_has(&["dup.csv", "customer_id", "row 2", "twice"]);
    assert!(!env.path("out.csv").exists());
}

/// Generate a history with a known treatment effect on campaign `t` from `NOW` for 120 days,
/// score the list at `NOW` with the same split, and read out its outcomes as JSON.
fn readout(env: &TestEnv, effect: &str, seed: &str) -> serde_json::Value {
    let data = format!("data-{effect}-{seed}");
    env.run(&[
        "generate",
        "--out",
        &data,
        "--customers",
        "6000",
        "--months",
        "28",
        "--seed",
        seed,
        "--treatment-effect",
        effect,
        "--treatment-from",
        NOW,
        "--treatment-days",
        "120",
        "--control-share",
        "0.5",
        "--campaign",
        "t",
    ])
    .ok();
    let list = format!("list-{effect}-{seed}.csv");
    env.run(&[
        "score",
        "--model",
        "latest",
        "--models",
        "models",
        "--data",
        &data,
        "--as-of",
        NOW,
        "--out",
        &list,
        "--control-share",
        "0.5",
        "--campaign",
        "t",
    ])
    .ok();
    let json = format!("outcomes-{effect}-{seed}.json");
    env.run(&[
        "outcomes",
        "--list",
        &list,
        "--data",
        &data,
        "--horizon",
        "120",
        "--json",
        &json,
        "--chart",
        "chart",
    ])
    .ok();
    serde_json::from_str(&std::fs::read_to_string(env.path(&json)).unwrap()).unwrap()
}

fn field(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[test]
fn outcomes_recover_a_known_treatment_effect_and_cover_zero_without_one() {
    let env = common::trained("2000", "11");
    let o = readout(&env, "0.5", "21");
    assert_eq!(o["as_of"], NOW);
    assert_eq!(o["horizon_days"], 120);
    let rows = o["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "3 tiers and all, x 2 groups");
    for r in rows {
        let (lo, hi, rate) = (
            field(r, "ci_low"),
            field(r, "ci_high"),
            field(r, "churn_rate"),
        );
        assert!(lo <= rate && rate <= hi);
        assert_eq!(rate, field(r, "churned") / field(r, "customers"));
    }
    let all = o["uplift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["tier"] == "all")
        .unwrap();
    // Half the outreach group's would-be churners are saved: a relative reduction of 0.5.
    let (lo, hi) = (
        field(all, "relative_ci_low"),
        field(all, "relative_ci_high"),
    );
    assert!(lo <= 0.5 && 0.5 <= hi, "relative reduction {lo}..{hi}");
    assert!(
        field(all, "ci_low") > 0.0,
        "uplift interval excludes 0: {all}"
    );
    assert!(field(&o["retained_revenue"], "ci_low") > 0.0);
    assert!(env.path("chart.png").is_file() && env.path("chart.svg").is_file());
    // Without an effect, the 95 % intervals cover 0 about 95 % of the time: 5 histories x 4
    // uplift intervals; at least 17 of 20 (a 98 % chance at a true 95 %).
    let mut covered = 0;
    for seed in ["31", "32", "33", "34", "35"] {
        let o = readout(&env, "0", seed);
        for u in o["uplift"].as_array().unwrap() {
            covered += usize::from(field(u, "ci_low") <= 0.0 && 0.0 <= field(u, "ci_high"));
        }
    }
    assert!(covered >= 17, "{covered} of 20 intervals cover 0");
}

#[test]
fn outcomes_wait_for_the_window_and_calibration_compares_like_with_like() {
    let env = common::trained("500", "3");
    score(&env, "2025-12-20", "late.csv", &[]).ok();
    env.run(&["outcomes", "--list", "late.csv", "--data", "data"])
        .code(3)
        .stderr_has(&[
            "ends 2026-01-19",
            "after the data ends",
            "once the data reaches",
        ]);
    score(&env, BEFORE, "list.csv", &[]).ok();
    let out = env
        .run(&[
            "outcomes", "--list", "list.csv", "--data", "data", "--json", "-",
        ])
        .ok();
    let o: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(o["horizon_days"], 30, "the model's horizon");
    assert!(
        o["uplift"].as_array().unwrap().is_empty(),
        "no groups, no uplift"
    );
    for c in o["calibration"].as_array().unwrap() {
        assert_eq!(c["basis"], "all");
    }
    let list = List::read(&env, "list.csv");
    let high: Vec<_> = list
        .rows
        .iter()
        .filter(|r| r["risk_tier"] == "high")
        .collect();
    let mean = high
        .iter()
        .map(|r| List::num(r, "churn_probability"))
        .sum::<f64>()
        / high.len() as f64;
    assert!((field(&o["calibration"][0], "mean_probability") - mean).abs() < 1e-6);
}

#[test]
fn rank_by_revenue_and_a_revenue_capacity() {
    let env = common::trained("2000", "11");
    score(
        &env,
        NOW,
        "rev.csv",
        &[
            "--rank-by",
            "revenue-at-risk",
            "--capacity-revenue",
            "25000",
        ],
    )
    .ok();
    let list = List::read(&env, "rev.csv");
    let revenue: Vec<f64> = list
        .rows
        .iter()
        .map(|r| List::num(r, "revenue_at_risk"))
        .collect();
    assert!(
        revenue.windows(2).all(|w| w[0] >= w[1]),
        "revenue at risk descending"
    );
    let high: f64 = list
        .rows
        .iter()
        .filter(|r| r["risk_tier"] == "high")
        .map(|r| List::num(r, "revenue_at_risk"))
        .sum();
    let n_high = list
        .rows
        .iter()
        .filter(|r| r["risk_tier"] == "high")
        .count();
    assert!(n_high > 0 && high <= 25000.0, "{n_high} high, {high}");
    assert!(
        high + revenue[n_high] > 25000.0,
        "the next customer would not fit"
    );
    assert!(list.rows[..n_high].iter().all(|r| r["risk_tier"] == "high"));
}

#[test]
fn lists_per_owner_each_with_its_own_capacity_and_ranks() {
    let env = common::trained("2000", "11");
    score(&env, NOW, "whole.csv", &[]).ok();
    score(
        &env,
        NOW,
        "by-owner",
        &["--split-by", "owner", "--capacity", "5"],
    )
    .ok();
    let whole = List::read(&env, "whole.csv");
    let mut files: Vec<String> = std::fs::read_dir(env.path("by-owner"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["avery", "blake", "casey", "devon", "emery", "finley"].map(|o| format!("{o}.csv"))
    );
    let owners = std::fs::read_to_string(env.path("data/customers.csv")).unwrap();
    let owner_of: HashMap<&str, &str> = owners
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0], *cells.last().unwrap())
        })
        .collect();
    let mut seen = 0;
    for file in &files {
        let list = List::read(&env, &format!("by-owner/{file}"));
        let owner = file.trim_end_matches(".csv");
        for (k, r) in list.rows.iter().enumerate() {
            assert_eq!(r["rank"], (k + 1).to_string(), "ranked on its own");
            assert_eq!(owner_of[r["customer_id"].as_str()], owner);
            assert_eq!(r["risk_tier"] == "high", k < 5, "capacity per owner");
        }
        seen += list.rows.len();
    }
    assert_eq!(seen, whole.rows.len(), "every customer in exactly one list");
    // A folder the tool did not write is never replaced.
    env.write("mine/notes.txt", "keep me");
    score(&env, NOW, "mine", &["--split-by", "owner"])
        .code(2)
        .stderr_has(&["did not write"]);
    assert_eq!(
        std::fs::read_to_string(env.path("mine/notes.txt")).unwrap(),
        "keep me"
    );
}
