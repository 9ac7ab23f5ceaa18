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
    let models = env.path("demo/models");
    let dir = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap();
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
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
