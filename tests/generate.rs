//! `churn generate` end to end: files and headers in both formats, usage errors exit 2 and leave
//! existing folders alone.

mod common;

use common::TestEnv;

const HEADERS: [(&str, &str); 5] = [
    (
        "customers",
        "customer_id,signup_date,plan,monthly_revenue,contract_months,segment,auto_renew,owner",
    ),
    ("events", "customer_id,timestamp,event_type,quantity"),
    (
        "tickets",
        "customer_id,ticket_id,opened_at,resolved_at,priority,category",
    ),
    ("nps", "customer_id,responded_at,score"),
    ("churn", "customer_id,churned_at"),
];

#[test]
fn writes_five_csv_tables_with_headers() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        "200",
        "--months",
        "6",
    ])
    .ok()
    .stdout_has(&["customers", "200", "events", "data/events.csv"]);
    for (table, header) in HEADERS {
        let text = std::fs::read_to_string(env.path(&format!("data/{table}.csv"))).unwrap();
        assert_eq!(text.lines().next(), Some(header), "{table}.csv");
    }
    let customers = std::fs::read_to_string(env.path("data/customers.csv")).unwrap();
    assert_eq!(customers.lines().count(), 201);
}

#[test]
fn writes_parquet_tables_in_parts() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        "250",
        "--months",
        "3",
        "--format",
        "parquet",
        "--part-size",
        "100",
    ])
    .ok()
    .stdout_has(&["3 parts"]);
    for (table, _) in HEADERS {
        for part in 0..3 {
            let path = env.path(&format!("data/{table}/part-{part:05}.parquet"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(&bytes[..4], b"PAR1", "{}", path.display());
        }
    }
}

#[test]
fn same_seed_writes_the_same_bytes() {
    let env = TestEnv::new();
    for out in ["a", "b"] {
        env.run(&[
            "generate",
            "--out",
            out,
            "--customers",
            "100",
            "--months",
            "4",
            "--seed",
            "9",
        ])
        .ok();
    }
    for (table, _) in HEADERS {
        let read = |dir: &str| std::fs::read(env.path(&format!("{dir}/{table}.csv"))).unwrap();
        assert!(read("a") == read("b"), "{table}.csv differs");
    }
}

#[test]
fn zero_customers_is_a_usage_error() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--customers", "0"])
        .code(2)
        .stderr_has(&["customers must be at least 1"]);
    assert!(!env.path("data").exists());
}

#[test]
fn months_out_of_range_is_a_usage_error() {
    let env = TestEnv::new();
    env.run(&["generate", "--out", "data", "--months", "121"])
        .code(2)
        .stderr_has(&["months"]);
}

#[test]
fn refuses_a_non_empty_out_folder_and_leaves_it_untouched() {
    let env = TestEnv::new();
    env.write("data/customers.csv", "mine");
    env.run(&["generate", "--out", "data", "--customers", "50"])
        .code(2)
        .stderr_has(&["not empty"]);
    assert_eq!(
        std::fs::read_to_string(env.path("data/customers.csv")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(env.path("data")).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_dir(env.dir.path()).unwrap().count(),
        1,
        "no staging folder left"
    );
}

/// Generate `data` with a treatment of `effect` on campaign `t` from 2024-09-01.
fn treated(env: &TestEnv, out: &str, effect: &str) {
    env.run(&[
        "generate",
        "--out",
        out,
        "--customers",
        "3000",
        "--months",
        "12",
        "--seed",
        "4",
        "--treatment-effect",
        effect,
        "--treatment-from",
        "2024-09-01",
        "--treatment-days",
        "60",
    ])
    .ok();
}

#[test]
fn a_treatment_changes_the_future_only() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "plain",
        "--customers",
        "3000",
        "--months",
        "12",
        "--seed",
        "4",
    ])
    .ok();
    treated(&env, "none", "0");
    treated(&env, "half", "0.5");
    for table in ["customers", "events", "tickets", "nps", "churn"] {
        let file = format!("{table}.csv");
        let read = |dir: &str| std::fs::read(env.path(&format!("{dir}/{file}"))).unwrap();
        assert_eq!(
            read("plain"),
            read("none"),
            "an effect of 0 changes nothing: {file}"
        );
    }
    let churned = |dir: &str| {
        std::fs::read_to_string(env.path(&format!("{dir}/churn.csv")))
            .unwrap()
            .lines()
            .filter(|l| l.contains(",2024-09") || l.contains(",2024-10"))
            .count()
    };
    assert!(
        churned("half") < churned("none"),
        "fewer churn in the window"
    );
    // The features at the window's start are the same, label aside: the past is untouched.
    for dir in ["none", "half"] {
        let out = format!("f-{dir}.csv");
        env.run(&[
            "features",
            "--data",
            dir,
            "--as-of",
            "2024-09-01",
            "--out",
            &out,
        ])
        .ok();
    }
    let without_label = |name: &str| -> Vec<String> {
        std::fs::read_to_string(env.path(name))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(without_label("f-none.csv"), without_label("f-half.csv"));
    assert_ne!(
        std::fs::read(env.path("f-none.csv")).unwrap(),
        std::fs::read(env.path("f-half.csv")).unwrap(),
        "the labels differ"
    );
}
