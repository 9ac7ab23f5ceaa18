//! `churn validate`, `churn features` and `churn kpis` on tiny fixtures, and every kind of bad
//! input: a clear message naming table, column and row, the bad-data exit code (3), no panic.

mod common;

use common::{tiny_with, TestEnv};

const BAD_DATA: i32 = 3;

fn customers_header() -> &'static str {
    "customer_id,signup_date,plan,monthly_revenue,contract_months\n"
}

#[test]
fn validate_prints_a_summary_of_the_tiny_fixture() {
    let env = tiny_with(&[]);
    env.run(&["validate", "--data", "data"]).ok().stdout_has(&[
        "customers",
        "5 rows",
        "events",
        "10 rows",
        "2025-01-05",
        "churned    2 (40.0 %)",
    ]);
}

#[test]
fn validate_warns_about_unknown_customers_and_absent_tables() {
    let env = tiny_with(&[("events.csv", "customer_id,timestamp,event_type\na1,2025-01-06T09:00:00Z,login\nzz,2025-01-07T09:00:00Z,login\n")]);
    std::fs::remove_file(env.path("data/nps.csv")).unwrap();
    env.run(&["validate", "--data", "data"])
        .ok()
        .stdout_has(&["1 rows of unknown customers", "absent     nps"]);
}

#[test]
fn bom_and_crlf_simply_work() {
    let env = tiny_with(&[(
        "customers.csv",
        "\u{feff}customer_id,signup_date,plan,monthly_revenue,contract_months\r\na1,2025-01-05,pro,49,1\r\na2,2025-01-20,basic,19,12\r\na3,2025-02-03,pro,49,1\r\na4,2025-02-14,pro,49,1\r\na5,2025-03-01,pro,49,1\r\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .ok()
        .stdout_has(&["5 rows"]);
}

#[test]
fn missing_required_table_is_named() {
    let env = tiny_with(&[]);
    std::fs::remove_file(env.path("data/events.csv")).unwrap();
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "missing"]);
}

#[test]
fn missing_column_is_named() {
    let env = tiny_with(&[(
        "customers.csv",
        "customer_id,signup_date,plan,contract_months\na1,2025-01-05,pro,1\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&[
            "table `customers`",
            "missing required column `monthly_revenue`",
        ]);
}

#[test]
fn unparseable_date_names_table_column_line_and_value() {
    let env = tiny_with(&[(
        "customers.csv",
        &format!(
            "{}a1,2025-01-05,pro,49,1\na2,05/01/2025,pro,49,1\n",
            customers_header()
        ),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&[
            "table `customers`",
            "column `signup_date`",
            "line 3",
            "05/01/2025",
            "not a date",
        ]);
}

#[test]
fn wrong_type_is_reported() {
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{}a1,2025-01-05,pro,lots,1\n", customers_header()),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&[
            "column `monthly_revenue`",
            "line 2",
            "\"lots\"",
            "not a number",
        ]);
}

#[test]
fn negative_values_are_rejected() {
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{}a1,2025-01-05,pro,-5,1\n", customers_header()),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["monthly_revenue must be >= 0", "line 2"]);
    let env = tiny_with(&[(
        "events.csv",
        "customer_id,timestamp,event_type,quantity\na1,2025-01-06T09:00:00Z,login,-2\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["column `quantity`", "negative count"]);
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{}a1,2025-01-05,pro,5,0\n", customers_header()),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["contract_months must be >= 1"]);
}

#[test]
fn out_of_range_enumerations_and_scores_are_rejected() {
    let env = tiny_with(&[(
        "nps.csv",
        "customer_id,responded_at,score\na1,2025-02-01T10:00:00Z,11\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `nps`", "column `score`", "0..10"]);
    let env = tiny_with(&[(
        "tickets.csv",
        "customer_id,ticket_id,opened_at,resolved_at,priority,category\na1,t1,2025-03-10T09:00:00Z,,critical,bug\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&[
            "column `priority`",
            "\"critical\"",
            "low/normal/high/urgent",
        ]);
}

#[test]
fn duplicate_customer_ids_name_both_rows() {
    let env = tiny_with(&[(
        "customers.csv",
        &format!(
            "{}a1,2025-01-05,pro,49,1\na1,2025-01-06,pro,49,1\n",
            customers_header()
        ),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["duplicate value \"a1\"", "line 3", "line 2"]);
}

#[test]
fn inconsistent_dates_are_rejected() {
    let env = tiny_with(&[("churn.csv", "customer_id,churned_at\na5,2025-02-01\n")]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["churned_at is before signup_date"]);
    let env = tiny_with(&[(
        "tickets.csv",
        "customer_id,ticket_id,opened_at,resolved_at,priority,category\na1,t1,2025-03-10T09:00:00Z,2025-03-09T09:00:00Z,low,bug\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["resolved_at is before opened_at"]);
}

#[test]
fn rows_after_the_data_end_or_in_the_future_are_rejected() {
    let env = tiny_with(&[]);
    env.run(&["validate", "--data", "data", "--data-end", "2025-05-01"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "dated after the data end", "line 11"]);
    let env = tiny_with(&[(
        "events.csv",
        "customer_id,timestamp,event_type\na1,2999-01-06T09:00:00Z,login\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["dated in the future"]);
}

#[test]
fn empty_header_only_binary_and_ragged_files_are_clear_errors() {
    let env = tiny_with(&[("events.csv", "")]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "empty"]);
    let env = tiny_with(&[("events.csv", "customer_id,timestamp,event_type\n")]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "no data rows"]);
    let env = tiny_with(&[]);
    env.write(
        "data/events.csv",
        [0u8, 159, 146, 150, 0, 1, 2, 255, 254, 10, 13, 0, 0, 7],
    );
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "binary content"]);
    let env = tiny_with(&[("events.csv", "customer_id,timestamp,event_type\na1,2025-01-06T09:00:00Z,login\na1,2025-01-07T09:00:00Z,login,extra,cells\n")]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "line 3 has 5 fields, the header has 3"]);
    let env = tiny_with(&[]);
    env.write("data/customers.parquet", b"PAR1 this is not parquet PAR1");
    std::fs::remove_file(env.path("data/customers.csv")).unwrap();
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["table `customers`", "customers.parquet"]);
}

#[test]
fn folders_of_parts_are_one_table() {
    let env = tiny_with(&[]);
    std::fs::remove_file(env.path("data/events.csv")).unwrap();
    env.write(
        "data/events/part-0.csv",
        "customer_id,timestamp,event_type\na1,2025-01-06T09:00:00Z,login\n",
    );
    env.write(
        "data/events/part-1.csv",
        "customer_id,timestamp,event_type\na2,2025-01-21T08:00:00Z,login\na2,bad-time,login\n",
    );
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["line 3 of", "part-1.csv"]);
}

#[test]
fn features_write_contract_columns_and_empty_cells() {
    let env = tiny_with(&[]);
    env.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        "2025-04-01",
        "--out",
        "f.csv",
    ])
    .ok();
    let text = std::fs::read_to_string(env.path("f.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("customer_id,as_of,events_7d,events_30d,events_90d,active_days_30d,days_since_last_event,events_trend_30d,tickets_30d,tickets_90d,open_tickets,urgent_tickets_90d,billing_tickets_90d,mean_resolution_hours_90d,nps_last_score,nps_passive,nps_detractor,nps_promoter,nps_no_response,nps_delta,days_since_nps,tenure_days,monthly_revenue,days_to_renewal,annual_contract,plan,segment,label"), "{header}");
    let rows: Vec<&str> = lines.collect();
    // a3 churned before the cutoff; a1, a2, a4, a5 remain. a2 churns on 2025-04-01 = T: label 1.
    assert_eq!(rows.len(), 4, "{text}");
    let a2 = rows.iter().find(|r| r.starts_with("a2,")).unwrap();
    assert!(a2.ends_with(",1"), "{a2}");
    // a5 never answered NPS: nps_last_score and days_since_nps are empty cells.
    let a5: Vec<&str> = rows
        .iter()
        .find(|r| r.starts_with("a5,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(a5[14], "");
    assert_eq!(a5[20], "");
    // The label window [Apr 1, May 1) is complete (data ends May 30): a5's label is 0.
    assert_eq!(a5[27], "0");
}

#[test]
fn features_parquet_and_snapshots() {
    let env = tiny_with(&[]);
    env.run(&[
        "features",
        "--data",
        "data",
        "--snapshots",
        "2025-02-01..2025-05-01:monthly",
        "--out",
        "f.parquet",
    ])
    .ok();
    assert!(std::fs::metadata(env.path("f.parquet")).unwrap().len() > 100);
    env.run(&[
        "features",
        "--data",
        "data",
        "--snapshots",
        "2025-02-01..2025-05-01:monthly",
        "--out",
        "f.csv",
    ])
    .ok();
    let text = std::fs::read_to_string(env.path("f.csv")).unwrap();
    // The May cutoff's window [May 1, May 31) runs past the data end (May 30): empty label.
    let may: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(",2025-05-01,"))
        .collect();
    assert!(
        !may.is_empty() && may.iter().all(|l| l.ends_with(',')),
        "{text}"
    );
}

#[test]
fn failed_features_run_leaves_no_file() {
    let env = tiny_with(&[(
        "nps.csv",
        "customer_id,responded_at,score\na1,2025-02-01T10:00:00Z,99\n",
    )]);
    env.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        "2025-04-01",
        "--out",
        "f.csv",
    ])
    .code(BAD_DATA);
    assert!(!env.path("f.csv").exists());
}

#[test]
fn kpis_table_csv_and_chart() {
    let env = tiny_with(&[]);
    env.run(&["kpis", "--data", "data", "--out", "k"])
        .ok()
        .stdout_has(&["period_start", "2025-02-01"]);
    let csv = std::fs::read_to_string(env.path("k/kpis.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "period_start,customers_start,new,lost,customers_end,churn_rate_pct,crr_pct"
    );
    assert_eq!(lines[1], "2025-01-01,0,2,0,2,,");
    // February: S=2 (a1, a2), N=2 (a3, a4), lost=1 (a3), E=3; churn 50 %, CRR (3-2)/2 = 50 %.
    // Files keep full precision (the screen shows 2 decimals).
    assert_eq!(lines[2], "2025-02-01,2,2,1,3,50,50");
    for ext in ["png", "svg"] {
        for chart in ["kpis", "kpis_customers"] {
            assert!(
                env.path(&format!("k/{chart}.{ext}")).exists(),
                "{chart}.{ext} missing"
            );
        }
    }
}

#[test]
fn cdnow_loads_by_mapping_alone() {
    let env = TestEnv::new();
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cdnow.toml");
    let data = common::dataset("cdnow");
    env.run(&[
        "validate",
        "--data",
        data.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
    ])
    .ok()
    .stdout_has(&["69659 rows", "customers  23570", "1997-01-01"]);
    env.run(&[
        "features",
        "--data",
        data.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        "1997-10-01",
        "--horizon",
        "272",
        "--definition",
        "inactivity",
        "--out",
        "cd.csv",
    ])
    .ok();
    let text = std::fs::read_to_string(env.path("cd.csv")).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        rows.len(),
        23570,
        "every CDNOW customer's first purchase is before 1997-04"
    );
    let churned = rows.iter().filter(|r| r.ends_with(",1")).count();
    assert!(
        churned > 10_000 && churned < 23_570,
        "inactivity labels: {churned}"
    );
}

#[test]
fn a_mapping_constant_for_a_column_that_cannot_be_constant_is_a_usage_error() {
    let env = tiny_with(&[(
        "tickets.csv",
        "customer_id,ticket_id,opened_at,resolved_at,category\na1,t1,2025-03-10T09:00:00Z,,bug\n",
    )]);
    env.write(
        "m.toml",
        "[tickets]\ndefaults = { priority = \"normal\" }\n",
    );
    env.run(&["validate", "--data", "data", "--mapping", "m.toml"])
        .code(2)
        .stderr_has(&["mapping [tickets]", "`priority` cannot be a constant"]);
    // Where the loader can fill it, a constant stands in for the missing column.
    let env = tiny_with(&[]);
    env.write(
        "m2.toml",
        "[customers]\ndefaults = { plan = \"standard\" }\n",
    );
    env.write("data/customers.csv", "customer_id,signup_date,monthly_revenue,contract_months\na1,2025-01-05,49,1\na2,2025-01-20,19,12\na3,2025-02-03,49,1\na4,2025-02-14,199,12\na5,2025-03-01,19,1\n");
    env.run(&["validate", "--data", "data", "--mapping", "m2.toml"])
        .ok();
}

#[test]
fn mapping_constants_obey_the_cells_rules() {
    let env = tiny_with(&[]);
    env.write(
        "m.toml",
        "[customers]\ndefaults = { contract_months = \"200000000\" }\n",
    );
    env.run(&["validate", "--data", "data", "--mapping", "m.toml"])
        .code(2)
        .stderr_has(&["default contract_months", "whole number 1..1200"]);
    env.write(
        "m.toml",
        "[customers]\ndefaults = { monthly_revenue = \"-3\" }\n",
    );
    env.run(&["validate", "--data", "data", "--mapping", "m.toml"])
        .code(2)
        .stderr_has(&["default monthly_revenue", "a number >= 0"]);
}

#[test]
fn far_past_dates_are_rejected_with_their_row() {
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{}a1,1850-01-05,pro,49,1\n", customers_header()),
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["column `signup_date`", "line 2", "dated before 1900"]);
}

#[test]
fn a_bad_auto_renew_value_is_named() {
    let env = tiny_with(&[(
        "customers.csv",
        "customer_id,signup_date,plan,monthly_revenue,contract_months,auto_renew\na1,2025-01-05,pro,49,1,sometimes\n",
    )]);
    env.run(&["validate", "--data", "data"])
        .code(BAD_DATA)
        .stderr_has(&["column `auto_renew`", "line 2", "\"sometimes\""]);
}
