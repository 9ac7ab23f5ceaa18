//! `churn export-sql` proven on real engines: the exported statement, run by DuckDB's
//! command-line program and by Spark in local mode (installed by `tests/setup/engines.sh`), must
//! return what `churn features` and `churn score` write: every feature cell within 1e-9, every
//! probability within 1e-12, ranks, tiers, reasons and plays identical. Inputs come as CSV read
//! with every column as text and as typed Parquet, from generated histories and from
//! `bench/edge-data` (NPS ties, window edges, month-end renewals, zones).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestEnv;
use serde_json::{Map, Value};

const TABLES: [&str; 5] = ["customers", "events", "tickets", "nps", "churn"];

/// The engines' virtual environment, installed on first use by the project's own script.
fn engines() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("CHURN_ENGINES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/test-engines"))
        .join("venv");
    if !venv.join("bin/duckdb").is_file() {
        let status = Command::new("bash")
            .arg(root.join("tests/setup/engines.sh"))
            .arg("sql")
            .status()
            .expect("run tests/setup/engines.sh");
        assert!(
            status.success(),
            "tests/setup/engines.sh sql failed: {status}"
        );
    }
    venv
}

/// Export the statement of the model in `env/models` at `as_of`.
fn export(env: &TestEnv, dialect: &str, as_of: &str, features_only: bool, out: &str) {
    let mut args = vec![
        "export-sql",
        "--model",
        "latest",
        "--models",
        "models",
        "--dialect",
        dialect,
        "--as-of",
        as_of,
        "--out",
        out,
    ];
    if features_only {
        args.push("--features-only");
    }
    env.run(&args).ok();
}

/// Rows of JSON Lines, or of a CSV with a header (every cell as text; empty as null).
fn read_rows(path: &Path) -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "csv") {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        return lines
            .map(|l| {
                header
                    .iter()
                    .zip(l.split(','))
                    .map(|(h, c)| {
                        let v = if c.is_empty() {
                            Value::Null
                        } else {
                            Value::String(c.to_string())
                        };
                        (h.to_string(), v)
                    })
                    .collect()
            })
            .collect();
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Run `query` on DuckDB over the tables of `data` (`csv`: every column as text).
fn duckdb(
    env: &TestEnv,
    data: &str,
    format: &str,
    query: &str,
    out: &str,
) -> Vec<Map<String, Value>> {
    duckdb_with(env, &TABLES, data, format, query, out)
}

/// [`duckdb`] over the CSV tables `tables` only.
fn duckdb_tables(
    env: &TestEnv,
    tables: &[&str],
    data: &str,
    query: &str,
    out: &str,
) -> Vec<Map<String, Value>> {
    duckdb_with(env, tables, data, "csv", query, out)
}

fn duckdb_with(
    env: &TestEnv,
    tables: &[&str],
    data: &str,
    format: &str,
    query: &str,
    out: &str,
) -> Vec<Map<String, Value>> {
    let sql = std::fs::read_to_string(env.path(query)).unwrap();
    let mut script = String::new();
    for &t in tables {
        let path = env.path(&format!("{data}/{t}.{format}"));
        let read = if format == "csv" {
            format!(
                "read_csv('{}', all_varchar = true, header = true)",
                path.display()
            )
        } else {
            format!("read_parquet('{}')", path.display())
        };
        script.push_str(&format!("CREATE VIEW {t} AS SELECT * FROM {read};\n"));
    }
    let out_path = env.path(out);
    script.push_str(&format!(
        "COPY ({sql}) TO '{}' (FORMAT JSON);\n",
        out_path.display()
    ));
    let output = Command::new(engines().join("bin/duckdb"))
        .arg("-c")
        .arg(&script)
        .output()
        .expect("run duckdb");
    assert!(
        output.status.success(),
        "duckdb failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_rows(&out_path)
}

/// One Spark job: tables of `data` in `format` (those present), the statement in `query`, rows
/// to `out`.
struct SparkJob<'a> {
    data: &'a str,
    format: &'a str,
    query: &'a str,
    out: &'a str,
}

/// Run every job in one Spark session (local[2], UTC).
fn spark(env: &TestEnv, jobs: &[SparkJob]) {
    let list: Vec<Value> = jobs
        .iter()
        .map(|j| {
            let present: Vec<&str> = TABLES
                .iter()
                .copied()
                .filter(|t| env.path(&format!("{}/{t}.{}", j.data, j.format)).exists())
                .collect();
            serde_json::json!({
                "data": env.path(j.data),
                "format": j.format,
                "query": env.path(j.query),
                "out": env.path(j.out),
                "tables": present,
            })
        })
        .collect();
    let file = env.write("spark-jobs.json", serde_json::to_vec(&list).unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/setup/spark_run.py");
    let output = Command::new(engines().join("bin/python"))
        .arg(script)
        .arg(file)
        .output()
        .expect("run pyspark");
    assert!(
        output.status.success(),
        "spark failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Every cell of `ours` (churn's rows) equals the engine's: numbers within `tol` (relative
/// above 1), text exactly, empty = null.
fn same_cell(column: &str, ours: &Value, theirs: &Value, tol: f64) -> bool {
    // Ids, dates and texts compare as text even when they look like numbers (`007` is not `7`).
    const TEXT: [&str; 9] = [
        "customer_id",
        "as_of",
        "model_id",
        "risk_tier",
        "reason_1",
        "reason_2",
        "reason_3",
        "suggested_action",
        "plan",
    ];
    if TEXT.contains(&column) || column == "segment" {
        return text(ours) == text(theirs);
    }
    match (number(ours), number(theirs)) {
        (Some(a), Some(b)) => (a - b).abs() <= tol * a.abs().max(1.0),
        _ if ours.is_null() || theirs.is_null() => text(ours).is_empty() && text(theirs).is_empty(),
        _ => text(ours) == text(theirs),
    }
}

/// The feature table equals `churn features`' (keyed by customer id).
fn assert_same_features(what: &str, ours: &[Map<String, Value>], theirs: &[Map<String, Value>]) {
    assert_eq!(ours.len(), theirs.len(), "{what}: rows");
    assert!(!ours.is_empty(), "{what}: nobody in the population");
    let by_id: std::collections::HashMap<String, &Map<String, Value>> = theirs
        .iter()
        .map(|r| (text(&r["customer_id"]), r))
        .collect();
    for row in ours {
        let id = text(&row["customer_id"]);
        let other = by_id
            .get(&id)
            .unwrap_or_else(|| panic!("{what}: {id} missing"));
        for (column, value) in row {
            let theirs = other
                .get(column)
                .unwrap_or_else(|| panic!("{what}: no {column}"));
            assert!(
                same_cell(column, value, theirs, 1e-9),
                "{what}: {id} {column}: churn {value}, engine {theirs}"
            );
        }
    }
}

/// Row by row in rank order, every cell equal (probabilities within 1e-12, other numbers
/// within 1e-9).
fn assert_same_rows(what: &str, ours: &[Map<String, Value>], theirs: &[Map<String, Value>]) {
    assert_eq!(ours.len(), theirs.len(), "{what}: rows");
    assert!(!ours.is_empty(), "{what}: no rows");
    for (a, b) in ours.iter().zip(theirs) {
        for (column, value) in a {
            let other = b.get(column).unwrap_or(&Value::Null);
            let tol = if column == "churn_probability" {
                1e-12
            } else {
                1e-9
            };
            assert!(
                same_cell(column, value, other, tol),
                "{what}: rank {}: {column}: churn {value}, engine {other}",
                a["rank"]
            );
        }
    }
}

/// The list equals `churn score`'s ([`assert_same_rows`]) and has reasons on most rows.
fn assert_same_list(what: &str, ours: &[Map<String, Value>], theirs: &[Map<String, Value>]) {
    assert_same_rows(what, ours, theirs);
    let with_reasons = ours
        .iter()
        .filter(|r| !text(&r["reason_1"]).is_empty())
        .count();
    assert!(
        with_reasons > ours.len() / 4,
        "{what}: reasons on {with_reasons} rows"
    );
}

/// A generated history in both formats, a model trained on the CSV one.
fn trained_both_formats(seed: &str) -> TestEnv {
    let env = TestEnv::new();
    for (dir, format) in [("data", "csv"), ("pq", "parquet")] {
        env.run(&[
            "generate",
            "--out",
            dir,
            "--customers",
            "1200",
            "--seed",
            seed,
            "--format",
            format,
        ])
        .ok();
    }
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    env
}

/// churn's own features and list at `as_of` on `data`.
fn churn_outputs(env: &TestEnv, data: &str, as_of: &str, tag: &str) {
    env.run(&[
        "features",
        "--data",
        data,
        "--as-of",
        as_of,
        "--out",
        &format!("{tag}-f.csv"),
    ])
    .ok();
    env.run(&[
        "score",
        "--model",
        "latest",
        "--models",
        "models",
        "--data",
        data,
        "--as-of",
        as_of,
        "--format",
        "jsonl",
        "--out",
        &format!("{tag}-l.jsonl"),
    ])
    .ok();
}

#[test]
fn duckdb_returns_what_churn_writes_from_text_and_typed_tables() {
    for seed in ["5", "9"] {
        let env = trained_both_formats(seed);
        // A date with complete labels, and tonight's (labels empty).
        for as_of in ["2025-11-01", "2026-01-01"] {
            export(&env, "duckdb", as_of, true, "f.sql");
            export(&env, "duckdb", as_of, false, "l.sql");
            churn_outputs(&env, "data", as_of, "churn");
            let ours_f = read_rows(&env.path("churn-f.csv"));
            let ours_l = read_rows(&env.path("churn-l.jsonl"));
            for (data, format) in [("data", "csv"), ("pq", "parquet")] {
                let what = format!("seed {seed}, {as_of}, {format}");
                let f = duckdb(&env, data, format, "f.sql", "duck-f.json");
                assert_same_features(&what, &ours_f, &f);
                let l = duckdb(&env, data, format, "l.sql", "duck-l.json");
                assert_same_list(&what, &ours_l, &l);
            }
        }
    }
}

/// `bench/edge-data`'s tables copied into `env/edge`.
fn copy_edge(env: &TestEnv) {
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/edge-data");
    std::fs::create_dir_all(env.path("edge")).unwrap();
    for t in TABLES {
        std::fs::copy(
            edge.join(format!("{t}.csv")),
            env.path(&format!("edge/{t}.csv")),
        )
        .unwrap();
    }
}

#[test]
fn duckdb_agrees_on_the_edge_cases() {
    let env = common::trained("1200", "5");
    copy_edge(&env);
    for as_of in ["2024-06-01", "2024-06-30"] {
        export(&env, "duckdb", as_of, true, "f.sql");
        export(&env, "duckdb", as_of, false, "l.sql");
        churn_outputs(&env, "edge", as_of, "churn");
        let what = format!("edge data, {as_of}");
        let f = duckdb(&env, "edge", "csv", "f.sql", "duck-f.json");
        assert_same_features(&what, &read_rows(&env.path("churn-f.csv")), &f);
        let l = duckdb(&env, "edge", "csv", "l.sql", "duck-l.json");
        assert_same_rows(&what, &read_rows(&env.path("churn-l.jsonl")), &l);
    }
}

#[test]
fn spark_returns_what_churn_writes_from_text_and_typed_tables_and_the_edge_cases() {
    // The model of one history scores it (text and typed), a second history (another seed)
    // and the edge data, all in one Spark session.
    let env = trained_both_formats("9");
    env.run(&[
        "generate",
        "--out",
        "data2",
        "--customers",
        "1200",
        "--seed",
        "5",
    ])
    .ok();
    copy_edge(&env);
    let as_of = "2025-11-01";
    for (tag, data, day) in [
        ("churn", "data", as_of),
        ("churn2", "data2", as_of),
        ("edge", "edge", "2024-06-01"),
    ] {
        export(&env, "spark", day, true, &format!("{tag}-f.sql"));
        export(&env, "spark", day, false, &format!("{tag}-l.sql"));
        churn_outputs(&env, data, day, tag);
    }
    // (tag of churn's outputs and of the statements, data folder, format)
    let runs = [
        ("churn", "data", "csv"),
        ("churn", "pq", "parquet"),
        ("churn2", "data2", "csv"),
        ("edge", "edge", "csv"),
    ];
    let names: Vec<[String; 4]> = runs
        .iter()
        .map(|(tag, data, _)| {
            let out = format!("spark-{data}");
            [
                format!("{tag}-f.sql"),
                format!("{tag}-l.sql"),
                format!("{out}-f.json"),
                format!("{out}-l.json"),
            ]
        })
        .collect();
    let jobs: Vec<SparkJob> = runs
        .iter()
        .zip(&names)
        .flat_map(|((_, data, format), [f, l, fo, lo])| {
            [
                SparkJob {
                    data,
                    format,
                    query: f,
                    out: fo,
                },
                SparkJob {
                    data,
                    format,
                    query: l,
                    out: lo,
                },
            ]
        })
        .collect();
    spark(&env, &jobs);
    for ((tag, data, format), [_, _, fo, lo]) in runs.iter().zip(&names) {
        let what = format!("spark, {data} ({format})");
        let ours_f = read_rows(&env.path(&format!("{tag}-f.csv")));
        let ours_l = read_rows(&env.path(&format!("{tag}-l.jsonl")));
        assert_same_features(&what, &ours_f, &read_rows(&env.path(fo)));
        if *tag == "edge" {
            // A handful of rows, few with reasons: cell by cell only.
            assert_same_rows(&what, &ours_l, &read_rows(&env.path(lo)));
        } else {
            assert_same_list(&what, &ours_l, &read_rows(&env.path(lo)));
        }
    }
}

#[test]
fn the_statement_is_one_select_and_tables_can_be_renamed() {
    let env = common::trained("300", "7");
    for dialect in ["duckdb", "spark", "postgres", "bigquery"] {
        export(&env, dialect, "2025-11-01", false, "q.sql");
        let sql = std::fs::read_to_string(env.path("q.sql")).unwrap();
        assert!(sql.starts_with("WITH"), "{dialect}");
        assert!(
            !sql.trim_end().ends_with(';'),
            "{dialect}: no trailing semicolon"
        );
        for ddl in ["CREATE ", "INSERT ", "DROP ", "COPY "] {
            assert!(!sql.contains(ddl), "{dialect}: {ddl}");
        }
    }
    env.run(&[
        "export-sql",
        "--model",
        "latest",
        "--models",
        "models",
        "--dialect",
        "duckdb",
        "--as-of",
        "2025-11-01",
        "--table",
        "events=analytics.app_events",
    ])
    .ok()
    .stdout_has(&["FROM analytics.app_events"]);
    env.run(&[
        "export-sql",
        "--model",
        "latest",
        "--models",
        "models",
        "--dialect",
        "duckdb",
        "--as-of",
        "2025-11-01",
        "--table",
        "events=x; DROP TABLE y",
    ])
    .code(2);
    env.run(&[
        "export-sql",
        "--model",
        "latest",
        "--models",
        "models",
        "--dialect",
        "duckdb",
        "--as-of",
        "2025-11-01",
        "--table",
        "visits=v",
    ])
    .code(2)
    .stderr_has(&["unknown table role"]);
}

#[test]
fn a_tabular_model_scores_its_one_table_the_same_on_duckdb_and_spark() {
    let env = TestEnv::new();
    let telco = common::dataset("telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv");
    std::fs::create_dir_all(env.path("telco")).unwrap();
    std::fs::copy(&telco, env.path("telco/customers.csv")).unwrap();
    env.run(&[
        "train",
        "--table",
        "telco/customers.csv",
        "--id",
        "customerID",
        "--label",
        "Churn",
        "--models",
        "models",
    ])
    .ok();
    env.run(&[
        "score",
        "--model",
        "latest",
        "--models",
        "models",
        "--table",
        "telco/customers.csv",
        "--id",
        "customerID",
        "--revenue",
        "MonthlyCharges",
        "--format",
        "jsonl",
        "--out",
        "ours.jsonl",
    ])
    .ok();
    let ours = read_rows(&env.path("ours.jsonl"));
    for dialect in ["duckdb", "spark"] {
        env.run(&[
            "export-sql",
            "--model",
            "latest",
            "--models",
            "models",
            "--dialect",
            dialect,
            "--id",
            "customerID",
            "--revenue",
            "MonthlyCharges",
            "--out",
            &format!("{dialect}.sql"),
        ])
        .ok();
    }
    let duck = duckdb_tables(&env, &["customers"], "telco", "duckdb.sql", "duck.json");
    assert_same_list("telco, duckdb", &ours, &duck);
    spark(
        &env,
        &[SparkJob {
            data: "telco",
            format: "csv",
            query: "spark.sql",
            out: "spark.json",
        }],
    );
    assert_same_list("telco, spark", &ours, &read_rows(&env.path("spark.json")));
    // Without an id column SQL has no row numbers to stand in: refused, not guessed.
    env.run(&[
        "export-sql",
        "--model",
        "latest",
        "--models",
        "models",
        "--dialect",
        "duckdb",
    ])
    .code(2)
    .stderr_has(&["needs --id COL"]);
}

/// The model's fitted numbers: chosen alpha, intercept, coefficients, and the tier cut-offs
/// (high + 10 x medium: both must agree).
fn fitted(models: &Path) -> (f64, f64, Vec<f64>, f64) {
    let m = common::only_model_json(models);
    let coefficients = m["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    (
        m["alpha"].as_f64().unwrap(),
        m["intercept"].as_f64().unwrap(),
        coefficients,
        m["tiers"]["high"].as_f64().unwrap() + 10.0 * m["tiers"]["medium"].as_f64().unwrap(),
    )
}

#[test]
fn training_from_a_feature_table_an_engine_computed_gives_the_same_model() {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        "1200",
        "--seed",
        "3",
    ])
    .ok();
    let snapshots = "2025-05-01..2025-11-01:monthly";
    env.run(&[
        "train",
        "--data",
        "data",
        "--snapshots",
        snapshots,
        "--models",
        "direct",
    ])
    .ok();
    // churn's own feature table, read back.
    env.run(&[
        "features",
        "--data",
        "data",
        "--snapshots",
        snapshots,
        "--out",
        "snaps.csv",
    ])
    .ok();
    env.run(&["train", "--features", "snaps.csv", "--models", "from-file"])
        .ok();
    let direct = fitted(&env.path("direct"));
    assert_eq!(
        fitted(&env.path("from-file")),
        direct,
        "the same table, the same model"
    );
    // Snapshots computed by DuckDB from the exported statement, one part per month (the last
    // as Parquet), with no model yet: --features-only --horizon.
    std::fs::create_dir_all(env.path("parts")).unwrap();
    let months = ["05", "06", "07", "08", "09", "10", "11"];
    for (k, m) in months.iter().enumerate() {
        let as_of = format!("2025-{m}-01");
        env.run(&[
            "export-sql",
            "--dialect",
            "duckdb",
            "--as-of",
            &as_of,
            "--features-only",
            "--horizon",
            "30",
            "--out",
            "month.sql",
        ])
        .ok();
        let rows = duckdb(&env, "data", "csv", "month.sql", "month.json");
        let ext = if k + 1 == months.len() {
            "parquet"
        } else {
            "csv"
        };
        let part = env.path(&format!("parts/part-{k}.{ext}"));
        write_part(&env, &rows, &part);
    }
    env.run(&["train", "--features", "parts", "--models", "from-sql"])
        .ok();
    let (alpha, intercept, coefficients, high) = fitted(&env.path("from-sql"));
    assert_eq!(alpha, direct.0);
    assert!(
        (intercept - direct.1).abs() < 1e-6,
        "{intercept} vs {}",
        direct.1
    );
    assert_eq!(coefficients.len(), direct.2.len());
    for (a, b) in coefficients.iter().zip(&direct.2) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!((high - direct.3).abs() < 1e-9);
    // A broken part is named with its column and row.
    env.write("bad/part-0.csv", "customer_id,as_of\nc1,2025-01-01\n");
    env.run(&["train", "--features", "bad", "--models", "x"])
        .code(3)
        .stderr_has(&["part-0.csv", "missing required column `label`"]);
}

/// Rows (as JSON objects) written as a feature-table part through DuckDB: CSV, or Parquet.
fn write_part(env: &TestEnv, rows: &[Map<String, Value>], part: &Path) {
    let json = env.path("part.json");
    let lines: Vec<String> = rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&json, lines.join("\n") + "\n").unwrap();
    let format = if part.extension().is_some_and(|e| e == "parquet") {
        "PARQUET"
    } else {
        "CSV, HEADER"
    };
    let script = format!(
        "COPY (SELECT * FROM read_json('{}')) TO '{}' (FORMAT {format});",
        json.display(),
        part.display()
    );
    let output = Command::new(engines().join("bin/duckdb"))
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn postgres_and_bigquery_statements_parse() {
    let env = common::trained("300", "7");
    let check = r#"
import sys, sqlglot
dialect, path = sys.argv[1], sys.argv[2]
sql = open(path).read()
tree = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
assert len(tree) == 1 and type(tree[0]).__name__ == "Select", tree
"#;
    let python = engines().join("bin/python");
    let parse = |dialect: &str, file: &str| {
        Command::new(&python)
            .args(["-c", check, dialect])
            .arg(env.path(file))
            .output()
            .unwrap()
    };
    for dialect in ["postgres", "bigquery"] {
        for features_only in [false, true] {
            export(&env, dialect, "2025-11-01", features_only, "q.sql");
            let out = parse(dialect, "q.sql");
            assert!(
                out.status.success(),
                "{dialect}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The check can fail: a statement cut short does not parse.
        let sql = std::fs::read_to_string(env.path("q.sql")).unwrap();
        env.write("cut.sql", &sql[..sql.len() / 2]);
        assert!(
            !parse(dialect, "cut.sql").status.success(),
            "{dialect}: a cut statement parsed"
        );
    }
}
