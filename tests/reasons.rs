//! Reasons a CS manager can act on: on the demo's list, every reason names a value on the risky
//! side of its feature's own relationship with churn (above the typical value when churners
//! have more of it, below when they have less, or a level that churns more than average), shows
//! that typical value, and the play follows an actionable group.

mod common;

use std::collections::HashMap;

use common::TestEnv;

#[test]
fn no_reason_on_the_demo_list_contradicts_the_data() {
    let env = TestEnv::new();
    env.run_env(
        &["demo", "--out", "demo"],
        &[("CHURN_NOW", "2026-01-01T00:00:00Z")],
    )
    .ok();
    let model = common::only_model_json(&env.path("demo/models"));
    let profiles: HashMap<String, serde_json::Value> = model["reason_profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["feature"].as_str().unwrap().to_string(), p.clone()))
        .collect();
    let list = std::fs::read_to_string(env.path("demo/at-risk.csv")).unwrap();
    let mut checked = 0;
    for line in list.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        for reason in &cells[5..8] {
            if reason.is_empty() {
                continue;
            }
            let (feature, rest) = reason.split_once('=').unwrap();
            let value = rest.split(' ').next().unwrap();
            let p = &profiles[feature];
            match value.parse::<f64>() {
                Ok(x) => {
                    let typical = p["typical"].as_f64().unwrap();
                    let direction = p["direction"].as_i64().unwrap();
                    assert!(
                        (direction > 0 && x > typical) || (direction < 0 && x < typical),
                        "{reason}: direction {direction}, typical {typical}"
                    );
                    assert!(reason.contains("(typical "), "{reason}");
                }
                Err(_) => {
                    let risky = p["risky_levels"].as_array().unwrap();
                    assert!(risky.iter().any(|l| l == value), "{reason}: {risky:?}");
                }
            }
            let push: f64 = rest
                .rsplit('(')
                .next()
                .unwrap()
                .trim_end_matches(')')
                .parse()
                .unwrap();
            assert!(push > 0.0, "{reason}");
            checked += 1;
        }
        let play = cells[8];
        if cells[3] == "low" {
            assert_eq!(play, "monitor");
        } else {
            assert_ne!(play, "monitor", "{line}");
        }
    }
    assert!(checked > 1_000, "{checked} reasons checked");
    // The heavy user of the example: a high count is never an engagement reason.
    assert!(
        !list.contains("annual_contract=1 ("),
        "annual customers churn less"
    );
}

/// Day `d` after 2024-01-01, as a date.
fn date(d: i64) -> String {
    let base = chrono_like(2024, 1, 1) + d;
    let (y, m, day) = civil(base);
    format!("{y:04}-{m:02}-{day:02}")
}

/// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
fn chrono_like(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A history whose churners left for a known cause: `support` churners keep using the product
/// but have urgent tickets open for weeks before they leave; `disengaged` ones stop using it two
/// months before; everyone else stays, with the odd quickly solved ticket. Returns the support
/// churners' ids and churn days.
fn known_causes(env: &TestEnv) -> Vec<(String, i64)> {
    let mut customers =
        String::from("customer_id,signup_date,plan,monthly_revenue,contract_months\n");
    let mut events = String::from("customer_id,timestamp,event_type\n");
    let mut tickets =
        String::from("customer_id,ticket_id,opened_at,resolved_at,priority,category\n");
    let mut churn = String::from("customer_id,churned_at\n");
    let mut support = Vec::new();
    let mut ticket = 0;
    for c in 0..600i64 {
        let id = format!("k{c:04}");
        customers += &format!("{id},2024-01-01,pro,50,1\n");
        // Causes and churn days spread over April to December 2024.
        let (cause, churn_day) = match c % 7 {
            0 => ("support", Some(100 + (c * 37) % 240)),
            1 => ("disengaged", Some(100 + (c * 53) % 240)),
            _ => ("healthy", None),
        };
        let end = churn_day.unwrap_or(366);
        let active_until = if cause == "disengaged" { end - 60 } else { end };
        for d in 0..active_until {
            if (d + c) % 2 == 0 {
                events += &format!("{id},{}T10:00:00Z,login\n", date(d));
            }
        }
        let mut add = |d: i64, open_days: Option<i64>, priority: &str| {
            ticket += 1;
            let resolved =
                open_days.map_or(String::new(), |o| format!("{}T09:00:00Z", date(d + o)));
            tickets += &format!(
                "{id},t{ticket},{}T09:00:00Z,{resolved},{priority},bug\n",
                date(d)
            );
        };
        if cause == "support" {
            for k in 0..4 {
                add(end - 40 + 7 * k, None, "urgent");
            }
        }
        if (c * 13) % 10 == 0 {
            add((c * 11) % 300, Some(1), "low");
        }
        if let Some(d) = churn_day {
            churn += &format!("{id},{}\n", date(d));
            if cause == "support" {
                support.push((id, d));
            }
        }
    }
    env.write("kc/customers.csv", customers);
    env.write("kc/events.csv", events);
    env.write("kc/tickets.csv", tickets);
    env.write("kc/churn.csv", churn);
    support
}

#[test]
fn customers_who_left_over_support_trouble_get_a_support_reason_first() {
    let env = TestEnv::new();
    let support = known_causes(&env);
    env.run(&[
        "train",
        "--data",
        "kc",
        "--models",
        "models",
        "--data-end",
        "2024-12-31",
    ])
    .ok();
    // Score at each month start; a support churner leaving within 30 days is a known case.
    let (mut cases, mut support_first) = (0, 0);
    for month in 5..=12 {
        let as_of = format!("2024-{month:02}-01");
        let t = chrono_like(2024, month, 1) - chrono_like(2024, 1, 1);
        let out = format!("list-{month}.csv");
        env.run(&[
            "score",
            "--model",
            "latest",
            "--models",
            "models",
            "--data",
            "kc",
            "--data-end",
            "2024-12-31",
            "--as-of",
            &as_of,
            "--out",
            &out,
        ])
        .ok();
        let list = std::fs::read_to_string(env.path(&out)).unwrap();
        for line in list.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let known = support
                .iter()
                .any(|(id, d)| id == cells[1] && (t..t + 30).contains(d));
            if !known {
                continue;
            }
            cases += 1;
            let first = cells[5].split('=').next().unwrap();
            if [
                "open_tickets",
                "urgent_tickets_90d",
                "tickets_30d",
                "tickets_90d",
                "mean_resolution_hours_90d",
            ]
            .contains(&first)
            {
                support_first += 1;
            }
        }
    }
    let rate = support_first as f64 / cases as f64;
    eprintln!(
        "support churners with a support reason first: {support_first} of {cases} ({rate:.2})"
    );
    assert!(cases >= 40, "{cases} known cases");
    // Measured: 1.00 (every such row); "most" is the requirement.
    assert!(rate > 0.8, "{support_first} of {cases}");
}

#[test]
fn timing_travels_beside_the_play_only_when_asked_for() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        "300",
        "--seed",
        "5",
    ])
    .ok();
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    let score = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "score",
            "--model",
            "latest",
            "--models",
            "models",
            "--data",
            "data",
            "--as-of",
            "2026-01-01",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        env.run(&args).ok();
        std::fs::read_to_string(env.path(out)).unwrap()
    };
    let plain = score("plain.csv", &[]);
    let timed = score("timed.csv", &["--timing"]);
    let header = timed.lines().next().unwrap();
    assert!(
        header.ends_with(",as_of,days_to_renewal,contact_by"),
        "{header}"
    );
    assert_eq!(plain.lines().count(), timed.lines().count());
    for (p, t) in plain.lines().zip(timed.lines()).skip(1) {
        let cells: Vec<&str> = t.rsplitn(3, ',').collect();
        assert_eq!(cells[2], p, "the eleven columns are unchanged");
        let days: f64 = cells[1].parse().unwrap();
        let expected =
            chrono_like(2026, 1, 1) + (days - 14.0).max(0.0) as i64 - chrono_like(2024, 1, 1);
        assert_eq!(cells[0], date(expected), "{t}");
    }
}
