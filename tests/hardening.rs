//! Hostile and careless use: outputs that must not clobber what is at their path, model files
//! that must be verified before they score anyone, and inputs checked by one set of rules. Each
//! case asserts the exit code, the message and what is on disk afterwards.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{tiny_with, Run, TestEnv};

const USAGE: i32 = 2;
const BAD_DATA: i32 = 3;
const MODEL: i32 = 4;
const AS_OF: &str = "2026-01-01";

/// Generated history (300 customers) and an event-mode model trained on it.
fn trained() -> TestEnv {
    common::trained("300", "3")
}

fn score(env: &TestEnv, out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "score", "--model", "latest", "--models", "models", "--data", "data", "--as-of", AS_OF,
        "--out", out,
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// The one model folder of the env's registry.
fn model_dir(env: &TestEnv) -> PathBuf {
    common::only_model(&env.path("models"))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------- output paths

#[test]
fn out_dash_streams_the_list_to_stdout() {
    let env = trained();
    let run = score(&env, "-", &[]).ok();
    assert!(run
        .stdout
        .starts_with("rank,customer_id,churn_probability,"));
    assert!(run.stdout.lines().count() > 50);
    assert!(!env.path("-").exists());
}

#[cfg(unix)]
#[test]
fn non_regular_outputs_are_refused_and_left_as_they_were() {
    use std::os::unix::fs::FileTypeExt;
    let env = trained();
    let fifo = env.path("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::create_dir(env.path("folder")).unwrap();
    let cases: [(&str, &str); 4] = [
        (fifo.to_str().unwrap(), "a FIFO"),
        ("/dev/null", "a device"),
        ("folder", "a directory"),
        // The test's own stdout is a pipe: /dev/stdout must stay the link it is.
        ("/dev/stdout", "not a regular file"),
    ];
    for (out, kind) in cases {
        let run = score(&env, out, &[]).code(USAGE);
        assert!(
            run.stderr.contains(out) && run.stderr.contains(kind),
            "{out}: {}",
            run.stderr
        );
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(std::fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(env.path("folder").is_dir());
}

#[cfg(unix)]
#[test]
fn a_socket_is_refused_too() {
    use std::os::unix::fs::FileTypeExt;
    let env = trained();
    let socket = env.path("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    score(&env, socket.to_str().unwrap(), &[])
        .code(USAGE)
        .stderr_has(&["a socket"]);
    assert!(std::fs::metadata(&socket).unwrap().file_type().is_socket());
}

#[test]
fn tabular_inputs_reports_and_feature_streams_are_guarded_too() {
    let env = TestEnv::new();
    let mut text = String::from("id,usage,churn\n");
    for i in 0..100 {
        text += &format!(
            "c{i},{},{}\n",
            i % 10,
            if i % 3 == 0 { "yes" } else { "no" }
        );
    }
    let table = env.write("t.csv", &text);
    let t = table.to_str().unwrap();
    env.run(&[
        "train", "--table", t, "--id", "id", "--label", "churn", "--models", "models",
    ])
    .ok();
    env.run(&[
        "score", "--model", "latest", "--models", "models", "--table", t, "--out", t,
    ])
    .code(USAGE)
    .stderr_has(&["input"]);
    assert_eq!(std::fs::read_to_string(&table).unwrap(), text);
    let inside = model_dir(&env);
    env.run(&[
        "report",
        "--model",
        "latest",
        "--models",
        "models",
        "--out",
        inside.to_str().unwrap(),
    ])
    .code(USAGE)
    .stderr_has(&["registry"]);
    // A model folder is protected whatever registry a command was told about.
    let preds = inside.join("predictions.csv");
    let before = std::fs::read(&preds).unwrap();
    env.run(&[
        "features",
        "--table",
        t,
        "--label",
        "churn",
        "--out",
        preds.to_str().unwrap(),
    ])
    .code(USAGE);
    assert_eq!(std::fs::read(&preds).unwrap(), before);
    let run = env
        .run(&[
            "features", "--table", t, "--id", "id", "--label", "churn", "--out", "-",
        ])
        .ok();
    assert!(run.stdout.starts_with("customer_id,as_of,"));
    env.run(&["kpis", "--data", "nowhere", "--out", "-"])
        .code(USAGE);
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_replaces_its_target_and_keeps_the_link() {
    let env = trained();
    std::fs::write(env.path("real.csv"), "yesterday\n").unwrap();
    std::os::unix::fs::symlink("real.csv", env.path("current.csv")).unwrap();
    score(&env, "current.csv", &[]).ok();
    let link = std::fs::symlink_metadata(env.path("current.csv")).unwrap();
    assert!(link.file_type().is_symlink());
    let list = std::fs::read_to_string(env.path("real.csv")).unwrap();
    assert!(list.starts_with("rank,customer_id"));
}

#[test]
fn outputs_never_overwrite_inputs_or_the_registry() {
    let env = trained();
    let customers = std::fs::read(env.path("data/customers.csv")).unwrap();
    score(&env, "data/customers.csv", &[])
        .code(USAGE)
        .stderr_has(&["customers.csv", "input"]);
    assert_eq!(
        std::fs::read(env.path("data/customers.csv")).unwrap(),
        customers
    );
    let model = model_dir(&env).join("model.json");
    let before = std::fs::read(&model).unwrap();
    score(&env, model.to_str().unwrap(), &[])
        .code(USAGE)
        .stderr_has(&["inside the model registry"]);
    assert_eq!(std::fs::read(&model).unwrap(), before);
    score(&env, "list.csv", &["--summary-json", "data/summary.json"]).code(USAGE);
    assert!(!env.path("list.csv").exists() && !env.path("data/summary.json").exists());
    let events = std::fs::read(env.path("data/events.csv")).unwrap();
    env.run(&[
        "features",
        "--data",
        "data",
        "--as-of",
        AS_OF,
        "--out",
        "data/events.csv",
    ])
    .code(USAGE)
    .stderr_has(&["input"]);
    env.run(&["kpis", "--data", "data", "--out", "data"])
        .code(USAGE);
    assert_eq!(std::fs::read(env.path("data/events.csv")).unwrap(), events);
    assert!(!env.path("data/kpis.csv").exists());
}

/// Set a file's modification time two days back.
fn age(path: &Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    let f = std::fs::File::options().write(true).open(path);
    match f {
        Ok(f) => f.set_modified(old).unwrap(),
        // A folder: touch through its path.
        Err(_) => {
            let status = Command::new("touch")
                .args(["-d", "2 days ago"])
                .arg(path)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}

#[test]
fn leftovers_of_killed_runs_are_removed_by_the_next_one() {
    let env = trained();
    std::fs::create_dir(env.path("out")).unwrap();
    let stale = env.path("out/.churn-tmp-Ab12Cd");
    let fresh = env.path("out/.churn-tmp-Ef34Gh");
    std::fs::write(&stale, vec![b'x'; 1 << 20]).unwrap();
    std::fs::write(&fresh, "a write in progress").unwrap();
    age(&stale);
    // A training killed between reserving its id and renaming the model into place.
    let staging = env.path("models/.tmp-model-Zz9");
    let reserved = env.path("models/20250101T000000Z-deadbeef");
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join("model.json"), "{").unwrap();
    std::fs::create_dir(&reserved).unwrap();
    age(&staging);
    age(&reserved);
    let listed = env.run(&["models", "list", "--models", "models"]).ok();
    assert!(!listed.stdout.contains("deadbeef") && !listed.stdout.contains(".tmp-model"));
    score(&env, "out/list.csv", &[]).ok();
    assert_eq!(
        names_in(&env.path("out")),
        [".churn-tmp-Ef34Gh", "list.csv"]
    );
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    let models = names_in(&env.path("models"));
    assert_eq!(models.len(), 2, "two models and nothing else: {models:?}");
    assert!(models
        .iter()
        .all(|m| !m.starts_with('.') && !m.contains("deadbeef")));
}

/// Run `churn ARGS` with its stdout closed before it writes: the `| head` case.
fn run_into_closed_pipe(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_churn"))
        .args(args)
        .current_dir(env.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), stderr)
}

#[test]
fn a_closed_pipe_is_exit_0_never_a_panic() {
    let env = trained();
    let commands: [&[&str]; 9] = [
        &["models", "show", "latest", "--models", "models"],
        &["models", "list", "--models", "models"],
        &[
            "evaluate",
            "--model",
            "latest",
            "--models",
            "models",
            "--resamples",
            "20",
        ],
        &[
            "score", "--model", "latest", "--models", "models", "--data", "data", "--as-of", AS_OF,
            "--out", "-",
        ],
        &["validate", "--data", "data"],
        &["kpis", "--data", "data", "--out", "kpis"],
        &["features", "--data", "data", "--as-of", AS_OF, "--out", "-"],
        &["train", "--data", "data", "--models", "models2", "--json"],
        &["demo", "--out", "demo", "--customers", "300"],
    ];
    for args in commands {
        let (code, stderr) = run_into_closed_pipe(&env, args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // What the commands write to files is written whole although nobody read their output.
    assert!(env.path("kpis/kpis.csv").is_file());
    assert!(
        env.path("demo/at-risk.csv").is_file(),
        "the demo ran every step"
    );
}

// ---------------------------------------------------------------- model files

/// Edit the model file and record a matching checksum, as a forger who knows the format would:
/// what refuses the file is then its content.
fn forge(env: &TestEnv, edit: impl Fn(&mut serde_json::Value)) {
    use sha2::{Digest, Sha256};
    let dir = model_dir(env);
    let path = dir.join("model.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    let text = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(&path, &text).unwrap();
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        dir.join("model.json.sha256"),
        format!("{hex}  model.json\n"),
    )
    .unwrap();
}

#[test]
fn a_model_id_that_is_not_its_folder_is_refused_and_writes_nothing_outside() {
    let env = trained();
    for forged in ["../../escaped", "/tmp/escaped", "other-model"] {
        forge(&env, |v| v["model_id"] = forged.into());
        score(&env, "list.csv", &[])
            .code(MODEL)
            .stderr_has(&["model_id", "model.json"]);
    }
    assert!(!env.path("list.csv").exists());
    assert!(!env.dir.path().parent().unwrap().join("escaped").exists());
    assert!(!Path::new("/tmp/escaped/latest_scores.csv").exists());
}

#[test]
fn damaged_model_files_are_refused_naming_the_file_and_the_field() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|v| v["coefficients"][0] = 1e308.into()),
            "coefficients[0]",
        ),
        (
            Box::new(|v| v["coefficients"][1] = serde_json::Value::Null),
            "coefficients[1]",
        ),
        (
            Box::new(|v| v["intercept"] = serde_json::Value::Null),
            "intercept",
        ),
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("intercept");
            }),
            "intercept",
        ),
        (
            Box::new(|v| v["preprocessor"]["columns"][0]["std"] = 0.0.into()),
            "preprocessor.columns[0]",
        ),
        (Box::new(|v| v["tiers"]["high"] = 1.5.into()), "tiers"),
        (Box::new(|v| v["tiers"]["medium"] = 0.99.into()), "tiers"),
        (
            Box::new(|v| v["feature_names"][0] = "renamed".into()),
            "feature_names[0]",
        ),
        (
            Box::new(|v| v["psi_reference"][0]["fractions"] = serde_json::json!([])),
            "psi_reference[0]",
        ),
        (
            Box::new(|v| v["train_params"]["n_folds"] = 1.into()),
            "train_params",
        ),
    ];
    for (edit, field) in cases {
        let env = trained();
        forge(&env, edit);
        score(&env, "list.csv", &[])
            .code(MODEL)
            .stderr_has(&["model.json", field]);
        assert!(!env.path("list.csv").exists(), "{field}");
    }
}

#[test]
fn invalid_truncated_or_empty_model_files_are_exit_4_naming_the_file() {
    let contents: [&[u8]; 6] = [
        b"",
        b"{",
        b"not json",
        b"{\"format_version\": 1}",
        b"\xff\xfe{}",
        b"{\"format_version\": 2}",
    ];
    for content in contents {
        let env = trained();
        let path = model_dir(&env).join("model.json");
        std::fs::write(&path, content).unwrap();
        score(&env, "list.csv", &[])
            .code(MODEL)
            .stderr_has(&["model.json"]);
        assert!(!env.path("list.csv").exists());
    }
}

#[test]
fn a_model_without_its_checksum_is_refused() {
    let env = trained();
    std::fs::remove_file(model_dir(&env).join("model.json.sha256")).unwrap();
    score(&env, "list.csv", &[])
        .code(MODEL)
        .stderr_has(&["cannot be verified"]);
    assert!(!env.path("list.csv").exists());
}

#[test]
fn a_hand_edited_model_is_caught_by_its_checksum() {
    let env = trained();
    let path = model_dir(&env).join("model.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["intercept"] = 3.0.into();
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    score(&env, "list.csv", &[])
        .code(MODEL)
        .stderr_has(&["changed since it was registered"]);
    assert!(!env.path("list.csv").exists());
}

// ---------------------------------------------------------------- inputs

fn validate(env: &TestEnv) -> Run {
    env.run(&["validate", "--data", "data"])
}

/// The tiny customers table as Parquet, with `revenue` as the first customer's revenue.
fn parquet_customers(env: &TestEnv, revenue: f64) {
    use polars::prelude::*;
    let mut df = df!(
        "customer_id" => ["a1", "a2", "a3", "a4", "a5"],
        "signup_date" => ["2025-01-05", "2025-01-20", "2025-02-01", "2025-02-10", "2025-03-01"],
        "plan" => ["pro", "basic", "pro", "basic", "pro"],
        "monthly_revenue" => [revenue, 19.0, 49.0, 19.0, 49.0],
        "contract_months" => [1i64, 12, 1, 1, 12],
    )
    .unwrap();
    std::fs::remove_file(env.path("data/customers.csv")).unwrap();
    let file = std::fs::File::create(env.path("data/customers.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

#[test]
fn nan_and_infinite_numbers_are_refused_in_csv_and_parquet_alike() {
    for bad in [f64::NAN, f64::INFINITY] {
        let env = tiny_with(&[]);
        parquet_customers(&env, bad);
        validate(&env).code(BAD_DATA).stderr_has(&[
            "table `customers`",
            "column `monthly_revenue`",
            "not a number",
        ]);
    }
    for bad in ["inf", "NaN"] {
        let header = "customer_id,signup_date,plan,monthly_revenue,contract_months\n";
        let env = tiny_with(&[(
            "customers.csv",
            &format!("{header}a1,2025-01-05,pro,{bad},1\n"),
        )]);
        validate(&env)
            .code(BAD_DATA)
            .stderr_has(&["column `monthly_revenue`", "not a number"]);
    }
}

#[test]
fn a_column_named_twice_is_refused() {
    let env = tiny_with(&[(
        "customers.csv",
        "customer_id,signup_date,plan,monthly_revenue,contract_months,monthly_revenue\n\
         a1,2025-01-05,pro,49,1,0\n",
    )]);
    validate(&env)
        .code(BAD_DATA)
        .stderr_has(&["column `monthly_revenue`", "appears twice"]);
    let env = tiny_with(&[(
        "events.csv",
        "customer_id,timestamp,event_type,timestamp\na1,2025-01-06T09:00:00Z,login,x\n",
    )]);
    validate(&env).code(BAD_DATA).stderr_has(&[
        "table `events`",
        "column `timestamp`",
        "appears twice",
    ]);
    // Tabular mode: a duplicated feature or label column is refused, not renamed into a feature.
    let env = TestEnv::new();
    let table = env.write("t.csv", "id,tenure,tenure,churn\n1,3,4,yes\n2,5,6,no\n");
    for label in ["churn", "tenure"] {
        env.run(&[
            "train",
            "--table",
            table.to_str().unwrap(),
            "--id",
            "id",
            "--label",
            label,
        ])
        .code(BAD_DATA)
        .stderr_has(&["column `tenure`", "appears twice"]);
    }
}

#[test]
fn an_empty_population_is_exit_3_and_writes_nothing() {
    let env = trained();
    std::fs::write(env.path("list.csv"), "yesterday's list\n").unwrap();
    for extra in [&[][..], &["--max-psi", "0.1"][..]] {
        let mut args = vec![
            "score",
            "--model",
            "latest",
            "--models",
            "models",
            "--data",
            "data",
            "--as-of",
            "2000-01-01",
            "--out",
            "list.csv",
            "--summary-json",
            "summary.json",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
            .code(BAD_DATA)
            .stderr_has(&["no customer is in the population at 2000-01-01"]);
    }
    assert_eq!(
        std::fs::read_to_string(env.path("list.csv")).unwrap(),
        "yesterday's list\n"
    );
    assert!(!env.path("summary.json").exists());
}

#[test]
fn long_values_are_quoted_short_and_wide_tables_refused_early() {
    // A header of one 3 MB name: refused, and the message stays short.
    let long = "x".repeat(3 << 20);
    let env = tiny_with(&[("customers.csv", &format!("{long}\n1\n"))]);
    let run = validate(&env).code(BAD_DATA);
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes of stderr",
        run.stderr.len()
    );
    assert!(run.stderr.contains("header line"));
    // A cell of 1 MB: quoted in 200 characters and its size.
    let header = "customer_id,signup_date,plan,monthly_revenue,contract_months\n";
    let cell = "9".repeat(1 << 20) + "x";
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{header}a1,2025-01-05,pro,{cell},1\n"),
    )]);
    let run = validate(&env).code(BAD_DATA);
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes of stderr",
        run.stderr.len()
    );
    assert!(run.stderr.contains("bytes)"));
    // Six rows and a million columns: refused from the header, before anything is parsed.
    let env = TestEnv::new();
    let wide: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
    let mut text = wide.join(",") + "\n";
    for _ in 0..6 {
        text += &vec!["1"; 1_000_000].join(",");
        text += "\n";
    }
    let table = env.write("wide.csv", &text);
    env.run(&["train", "--table", table.to_str().unwrap(), "--label", "c0"])
        .code(BAD_DATA)
        .stderr_has(&["1000000 columns", "at most 10000"]);
    let env = tiny_with(&[("events.csv", &text)]);
    validate(&env)
        .code(BAD_DATA)
        .stderr_has(&["table `events`", "1000000 columns"]);
}

#[test]
fn messages_say_the_real_rule_and_name_the_place() {
    let header = "customer_id,signup_date,plan,monthly_revenue,contract_months\n";
    let env = tiny_with(&[(
        "customers.csv",
        &format!("{header}a1,2025-01-05,pro,5,1000000000000\n"),
    )]);
    validate(&env)
        .code(BAD_DATA)
        .stderr_has(&["column `contract_months`", "1200", "line 2"]);
    // A latin-1 byte (é as 0xE9) names its line.
    let mut bytes = format!("{header}a1,2025-01-05,pro,5,1\n").into_bytes();
    bytes.extend_from_slice(b"a2,2025-01-06,caf\xe9,5,1\n");
    let env = tiny_with(&[]);
    env.write("data/customers.csv", bytes);
    validate(&env)
        .code(BAD_DATA)
        .stderr_has(&["line 3", "not UTF-8"]);
    let env = trained();
    for bad in [
        "--as-of=-2025-01-01",
        "--as-of=2025-13-01",
        "--as-of=2025-1-1",
    ] {
        let run = env.run(&[
            "score", "--model", "latest", "--models", "models", "--data", "data", bad, "--out",
            "list.csv",
        ]);
        run.code(USAGE).stderr_has(&["not a date"]);
    }
    assert!(!env.path("list.csv").exists());
    env.write("afile", "x");
    env.run(&["demo", "--out", "afile"])
        .code(USAGE)
        .stderr_has(&["afile", "not a folder"]);
    assert_eq!(std::fs::read_to_string(env.path("afile")).unwrap(), "x");
}

#[test]
fn a_five_thousand_level_text_column_trains_with_bounded_columns() {
    let env = TestEnv::new();
    let mut text = String::from("id,surname,usage,churn\n");
    for i in 0..10_000 {
        let usage = (i * 37 % 100) as f64;
        let churn = if (i * 7919) % 100 < (100 - usage as usize) / 2 {
            "yes"
        } else {
            "no"
        };
        text += &format!("{i},name{},{usage},{churn}\n", i % 5_000);
    }
    let table = env.write("bank.csv", text);
    env.run(&[
        "train",
        "--table",
        table.to_str().unwrap(),
        "--id",
        "id",
        "--label",
        "churn",
        "--models",
        "models",
        "--json",
    ])
    .ok();
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model_dir(&env).join("model.json")).unwrap())
            .unwrap();
    let names = model["feature_names"].as_array().unwrap();
    let surname = names
        .iter()
        .filter(|n| n.as_str().unwrap().starts_with("surname="))
        .count();
    assert_eq!(surname, 101, "100 levels and (other)");
    assert!(names.iter().any(|n| n == "surname=(other)"));
}

#[test]
fn excel_safe_lists_keep_formulas_as_text() {
    let env = TestEnv::new();
    let mut text = String::from("id,usage,churn\n");
    for i in 0..200 {
        let id = if i == 0 {
            "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"".to_string()
        } else {
            format!("c{i}")
        };
        text += &format!(
            "{id},{},{}\n",
            i % 10,
            if i % 3 == 0 { "yes" } else { "no" }
        );
    }
    let table = env.write("t.csv", text);
    let t = table.to_str().unwrap();
    env.run(&[
        "train", "--table", t, "--id", "id", "--label", "churn", "--models", "models",
    ])
    .ok();
    let base = [
        "score", "--model", "latest", "--models", "models", "--table", t, "--id", "id",
    ];
    env.run(&[&base[..], &["--out", "plain.csv"]].concat()).ok();
    env.run(&[&base[..], &["--out", "safe.csv", "--excel-safe"]].concat())
        .ok();
    let plain = std::fs::read_to_string(env.path("plain.csv")).unwrap();
    let safe = std::fs::read_to_string(env.path("safe.csv")).unwrap();
    assert!(
        plain.contains(",\"=HYPERLINK("),
        "the plain CSV keeps the value as given"
    );
    assert!(safe.contains(",\"'=HYPERLINK("), "{safe}");
    assert!(!safe.contains(",\"=HYPERLINK("));
}
