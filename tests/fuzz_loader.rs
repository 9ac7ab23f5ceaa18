//! Property-based fuzzing of the loaders, bounded so it runs in every test run: random bytes,
//! random valid-looking CSV (shuffled, duplicated or missing contract columns, hostile cells) and
//! random Parquet go through `load_history` and tabular `load_table`. Whatever the input, the
//! loaders return a value or an error; they never panic. (`PROPTEST_CASES` raises the count for a
//! longer run.)

use std::path::Path;

use churn::data::load::{load_history, LoadOptions};
use churn::features::tabular::{load_table, TabularOptions};
use churn::ErrorKind;
use polars::prelude::*;
use proptest::prelude::*;

/// Cells that have broken parsers before: empty, blanks, signs, exponents, NaN, huge numbers,
/// odd dates, quotes, separators, non-ASCII, formulas.
const CELLS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "-inf",
    "1.5",
    "12",
    "1200",
    "1201",
    "9999999999999999999",
    "2025-01-05",
    "2025-02-30",
    "0000-01-01",
    "-2025-01-01",
    "2025-01-06T09:00:00Z",
    "2025-01-06T09:00:00+02:00",
    "2025-01-06 09:00",
    "yesterday",
    "true",
    "pro",
    "urgent",
    "billing",
    "a1",
    "a2",
    "\"quoted, comma\"",
    "\"\"",
    "é",
    "=1+1",
    "\u{feff}x",
];

const CUSTOMER_COLUMNS: &[&str] = &[
    "customer_id",
    "signup_date",
    "plan",
    "monthly_revenue",
    "contract_months",
    "segment",
    "auto_renew",
    "extra",
];
const EVENT_COLUMNS: &[&str] = &[
    "customer_id",
    "timestamp",
    "event_type",
    "quantity",
    "extra",
];

fn config() -> ProptestConfig {
    // A bounded number of cases by default; PROPTEST_CASES overrides it.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A CSV table: a header that is a shuffle of `columns` (so the required ones are usually
/// there), now and then with one column dropped or repeated, and rows of hostile cells.
fn csv_table(columns: &'static [&'static str]) -> impl Strategy<Value = String> {
    let header = Just(columns.to_vec())
        .prop_shuffle()
        .prop_flat_map(|h| (Just(h), 0usize..10, any::<prop::sample::Index>()))
        .prop_map(|(mut h, mutation, at)| {
            let k = at.index(h.len());
            match mutation {
                0 => {
                    h.remove(k);
                }
                1 => h.push(h[k]),
                _ => {}
            }
            h
        });
    (header, 0usize..6).prop_flat_map(|(header, n_rows)| {
        let width = header.len().max(1);
        // Now and then a row one cell too long (a ragged file).
        let rows = prop::collection::vec(
            prop::collection::vec(prop::sample::select(CELLS), width..=width + 1),
            n_rows,
        );
        (Just(header), rows).prop_map(|(header, rows)| {
            let mut text = header.join(",") + "\n";
            for row in rows {
                text += &row.join(",");
                text += "\n";
            }
            text
        })
    })
}

/// Load `dir`: a value, or an error that is about the data (never a panic, never an internal
/// failure, which would mean an unchecked input reached code that trusts it).
fn load_dir(dir: &Path) {
    if let Err(e) = load_history(&LoadOptions::new(dir)) {
        assert_ne!(e.kind(), ErrorKind::Internal, "{e}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_as_a_table_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("customers.csv"), &bytes).unwrap();
        std::fs::write(dir.path().join("events.csv"), &bytes).unwrap();
        load_dir(dir.path());
        std::fs::write(dir.path().join("t.csv"), &bytes).unwrap();
        let _ = load_table(&dir.path().join("t.csv"), &TabularOptions::new().label("churn"));
        std::fs::remove_file(dir.path().join("customers.csv")).unwrap();
        std::fs::write(dir.path().join("customers.parquet"), &bytes).unwrap();
        load_dir(dir.path());
    }

    #[test]
    fn valid_looking_csv_never_panics(
        customers in csv_table(CUSTOMER_COLUMNS),
        events in csv_table(EVENT_COLUMNS),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("customers.csv"), &customers).unwrap();
        std::fs::write(dir.path().join("events.csv"), &events).unwrap();
        load_dir(dir.path());
        let _ = load_table(&dir.path().join("customers.csv"), &TabularOptions::new().label("plan"));
    }

    #[test]
    fn random_parquet_never_panics(
        revenue in prop::collection::vec(prop::num::f64::ANY, 1..6),
        months in prop::collection::vec(any::<i64>(), 1..6),
        dates in prop::collection::vec(-30_000i32..30_000, 1..6),
        ids in prop::collection::vec(prop::sample::select(CELLS), 1..6),
    ) {
        let n = revenue.len().min(months.len()).min(dates.len()).min(ids.len());
        let dir = tempfile::tempdir().unwrap();
        let mut customers = df!(
            "customer_id" => &ids[..n],
            "signup_date" => dates[..n].iter().map(|&d| churn::time::format_day(d)).collect::<Vec<_>>(),
            "plan" => &ids[..n],
            "monthly_revenue" => &revenue[..n],
            "contract_months" => &months[..n],
        ).unwrap();
        let file = std::fs::File::create(dir.path().join("customers.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut customers).unwrap();
        let stamps: Vec<String> = dates[..n]
            .iter()
            .map(|&d| churn::time::format_day(d) + "T12:00:00Z")
            .collect();
        let mut events = df!(
            "customer_id" => &ids[..n],
            "timestamp" => stamps,
            "event_type" => &ids[..n],
            "quantity" => &revenue[..n],
        ).unwrap();
        let file = std::fs::File::create(dir.path().join("events.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut events).unwrap();
        load_dir(dir.path());
    }
}
