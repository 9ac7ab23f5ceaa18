//! Shared integration-test harness: a temporary work area and a runner for the `churn` binary
//! that shows the command, expected and actual outcome on failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary folder to run `churn` in; removed on drop.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

/// The outcome of one run of the binary.
pub struct Run {
    pub cmd: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A path inside the work area.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file (creating folders) and return its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Run `churn ARGS` in the work area.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Run `churn ARGS` in the work area with extra environment variables.
    pub fn run_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_churn"))
            .args(args)
            .current_dir(self.dir.path())
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .output()
            .expect("run churn");
        Run {
            cmd: format!("churn {}", args.join(" ")),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert exit code 0.
    pub fn ok(self) -> Self {
        self.code(0)
    }

    /// Assert an exit code.
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "\n{}\nexpected exit {expected}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmd, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Assert stderr contains every fragment.
    pub fn stderr_has(self, fragments: &[&str]) -> Self {
        for f in fragments {
            assert!(
                self.stderr.contains(f),
                "\n{}\nexpected stderr to contain {f:?}\n--- stderr\n{}",
                self.cmd,
                self.stderr
            );
        }
        self
    }

    /// Assert stdout contains every fragment.
    pub fn stdout_has(self, fragments: &[&str]) -> Self {
        for f in fragments {
            assert!(
                self.stdout.contains(f),
                "\n{}\nexpected stdout to contain {f:?}\n--- stdout\n{}",
                self.cmd,
                self.stdout
            );
        }
        self
    }
}

/// A work area with a generated history (`customers`, `seed`) in `data/` and an event-mode model
/// trained on it in `models/`.
pub fn trained(customers: &str, seed: &str) -> TestEnv {
    let env = generated(customers, seed);
    env.run(&["train", "--data", "data", "--models", "models"])
        .ok();
    env
}

/// A work area with a generated history (`customers`, `seed`) in `data/`.
pub fn generated(customers: &str, seed: &str) -> TestEnv {
    let env = TestEnv::new();
    env.run(&[
        "generate",
        "--out",
        "data",
        "--customers",
        customers,
        "--seed",
        seed,
    ])
    .ok();
    env
}

/// A work area with the tiny fixture's five tables in `data/`, and `edits` (file name, content)
/// written over them.
pub fn tiny_with(edits: &[(&str, &str)]) -> TestEnv {
    let env = TestEnv::new();
    for table in ["customers", "events", "tickets", "nps", "churn"] {
        let src = std::fs::read(fixture(&format!("tiny/{table}.csv"))).unwrap();
        env.write(&format!("data/{table}.csv"), src);
    }
    for (file, content) in edits {
        env.write(&format!("data/{file}"), content);
    }
    env
}

/// The one model folder of a registry (hidden staging folders skipped).
pub fn only_model(models: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(models)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(dirs.len(), 1, "one model in {}: {dirs:?}", models.display());
    dirs.pop().unwrap()
}

/// The model file of a registry's one model, as JSON.
pub fn only_model_json(models: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(only_model(models).join("model.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `../shared/datasets/<rel>` from the project root.
pub fn dataset(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets")
        .join(rel)
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}
