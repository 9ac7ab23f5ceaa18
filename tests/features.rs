//! `churn features` end to end: tabular mode on the real one-row-per-customer datasets, event
//! mode on the tiny fixture, and the flag combinations clap must refuse.

mod common;

use common::{dataset, fixture, TestEnv};

/// A written feature CSV: header and rows, split on commas (the datasets here quote nothing).
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &std::path::Path) -> Csv {
        let text = std::fs::read_to_string(path).expect("output written");
        let mut lines = text.lines().map(|l| {
            assert!(!l.contains('"'), "unexpected quoting in {l}");
            l.split(',').map(str::to_string).collect::<Vec<_>>()
        });
        let header = lines.next().expect("header");
        let rows: Vec<Vec<String>> = lines.collect();
        for r in &rows {
            assert_eq!(r.len(), header.len(), "ragged row {r:?}");
        }
        Csv { header, rows }
    }

    fn col(&self, name: &str) -> Vec<&str> {
        let i = self.header.iter().position(|h| h == name).expect(name);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }
}

/// The header of a dataset's CSV.
fn source_header(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    first.split(',').map(str::to_string).collect()
}

#[test]
fn telco_ibm_tabular_features_keep_file_order_and_blank_total_charges() {
    let env = TestEnv::new();
    let src = dataset("telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv");
    let out = env.path("telco.csv");
    env.run(&[
        "features",
        "--table",
        src.to_str().unwrap(),
        "--id",
        "customerID",
        "--label",
        "Churn",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let csv = Csv::read(&out);
    let mut expected = vec!["customer_id".to_string(), "as_of".to_string()];
    expected.extend(
        source_header(&src)
            .into_iter()
            .filter(|h| h != "customerID" && h != "Churn"),
    );
    expected.push("label".into());
    assert_eq!(csv.header, expected);
    assert_eq!(csv.rows.len(), 7043);
    assert_eq!(csv.rows[0][0], "7590-VHVEG");
    assert!(csv.col("as_of").iter().all(|c| c.is_empty()));
    // The dataset's README: 11 blank TotalCharges, 26.54 % churn (1,869 of 7,043).
    let total = csv.col("TotalCharges");
    assert_eq!(total.iter().filter(|c| c.is_empty()).count(), 11);
    assert!(total
        .iter()
        .filter(|c| !c.is_empty())
        .all(|c| c.parse::<f64>().is_ok()));
    let labels = csv.col("label");
    assert_eq!(labels.iter().filter(|&&l| l == "1").count(), 1869);
    assert_eq!(labels.iter().filter(|&&l| l == "0").count(), 7043 - 1869);
    assert_eq!(csv.col("Contract")[0], "Month-to-month");
}

#[test]
fn bigml_telecom_tabular_ids_are_one_based_row_numbers() {
    let env = TestEnv::new();
    let src = dataset("bigml_telecom/churn-bigml-80.csv");
    let out = env.path("bigml.csv");
    env.run(&[
        "features",
        "--table",
        src.to_str().unwrap(),
        "--label",
        "Churn",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let csv = Csv::read(&out);
    assert_eq!(csv.header.len(), source_header(&src).len() - 1 + 3);
    assert_eq!(csv.header[2], "State");
    assert_eq!(csv.rows.len(), 2666);
    let ids = csv.col("customer_id");
    assert_eq!(ids[0], "1");
    assert_eq!(ids[2665], "2666");
    // The dataset's README: 388 churners in the 80 % file.
    assert_eq!(csv.col("label").iter().filter(|&&l| l == "1").count(), 388);
    assert_eq!(csv.col("Customer service calls")[0], "1");
}

#[test]
fn tabular_parquet_output_and_positive_override() {
    let env = TestEnv::new();
    let src = env.write("t.csv", "id,x,status\na,1,gone\nb,,stayed\nc,3,gone\n");
    let out = env.path("t.parquet");
    env.run(&[
        "features",
        "--table",
        src.to_str().unwrap(),
        "--id",
        "id",
        "--label",
        "status",
        "--positive",
        "gone",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PAR1"));
    let csv_out = env.path("t.csv.out.csv");
    env.run(&[
        "features",
        "--table",
        src.to_str().unwrap(),
        "--id",
        "id",
        "--label",
        "status",
        "--positive",
        "gone",
        "--out",
        csv_out.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&csv_out).unwrap();
    assert_eq!(
        text, "customer_id,as_of,x,label\na,,1,1\nb,,,0\nc,,3,1\n",
        "blank numbers stay empty"
    );
}

#[test]
fn tabular_mode_refuses_event_flags_and_needs_a_label() {
    let env = TestEnv::new();
    let src = env.write("t.csv", "x,Churn\n1,Yes\n2,No\n");
    let t = src.to_str().unwrap();
    let data = fixture("tiny");
    let d = data.to_str().unwrap();
    for args in [
        vec!["--table", t, "--label", "Churn", "--as-of", "2025-06-01"],
        vec![
            "--table",
            t,
            "--label",
            "Churn",
            "--snapshots",
            "2025-01-01..2025-03-01:monthly",
        ],
        vec!["--table", t, "--label", "Churn", "--data", d],
        vec!["--table", t],
        vec!["--table", t, "--label", "Churn", "--horizon", "60"],
        vec!["--data", d, "--as-of", "2025-06-01", "--label", "Churn"],
        vec!["--as-of", "2025-06-01"],
    ] {
        let mut full = vec!["features"];
        full.extend(args);
        full.extend(["--out", "o.csv"]);
        env.run(&full).code(2);
        assert!(!env.path("o.csv").exists());
    }
}

#[test]
fn event_mode_writes_one_row_per_customer_in_the_population() {
    let env = TestEnv::new();
    let data = fixture("tiny");
    let out = env.path("ev.csv");
    env.run(&[
        "features",
        "--data",
        data.to_str().unwrap(),
        "--as-of",
        "2025-04-01",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let csv = Csv::read(&out);
    assert_eq!(&csv.header[..3], &["customer_id", "as_of", "events_7d"]);
    assert_eq!(csv.header.last().unwrap(), "label");
    assert!(csv.col("as_of").iter().all(|&d| d == "2025-04-01"));
    // tests/fixtures/tiny: a3 churned on 2025-02-25, before T; a2 churns on T itself, so it is
    // still in the population and labelled 1.
    assert_eq!(csv.col("customer_id"), ["a1", "a2", "a4", "a5"]);
    assert_eq!(csv.col("label"), ["0", "1", "0", "0"]);
}
