//! The demo's outputs, byte for byte: the at-risk list, `model.json` and `metrics.json` of
//! `churn demo` with a fixed clock must equal the copies in `tests/fixtures/pinned/`. Refactoring keeps them; a change
//! that means to alter them regenerates the copies (`CHURN_UPDATE_PINNED=1 cargo test --release
//! --test pinned`) and says why in its commit.

mod common;

use std::path::Path;

use common::{fixture, TestEnv};

/// The creation time every pinned run uses (read by the CLI from `CHURN_NOW`).
const FIXED_NOW: &str = "2026-01-01T00:00:00Z";

/// Compare `actual` with the pinned copy `name`, naming the first line that differs.
fn assert_pinned(actual: &Path, name: &str) {
    let pinned = fixture(&format!("pinned/{name}"));
    let got = std::fs::read(actual).unwrap();
    if std::env::var_os("CHURN_UPDATE_PINNED").is_some() {
        std::fs::write(&pinned, &got).unwrap();
        return;
    }
    let want = std::fs::read(&pinned).unwrap();
    if got == want {
        return;
    }
    let (g, w) = (
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
    );
    let line = g
        .lines()
        .zip(w.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| g.lines().count().min(w.lines().count()));
    panic!(
        "{name} differs from the pinned copy ({} vs {} bytes), first at line {}:\n  pinned: {}\n  actual: {}",
        want.len(),
        got.len(),
        line + 1,
        w.lines().nth(line).unwrap_or("<end>"),
        g.lines().nth(line).unwrap_or("<end>"),
    );
}

#[test]
fn demo_list_and_model_file_match_the_pinned_bytes() {
    let env = TestEnv::new();
    env.run_env(&["demo", "--out", "demo"], &[("CHURN_NOW", FIXED_NOW)])
        .ok();
    let dir = common::only_model(&env.path("demo/models"));
    let id = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        id.starts_with("20260101T000000Z-"),
        "the id carries the fixed clock: {id}"
    );
    assert_pinned(&dir.join("model.json"), "model.json");
    // After `churn evaluate`: training's metrics and the evaluation with its intervals.
    assert_pinned(&dir.join("metrics.json"), "metrics.json");
    assert_pinned(&env.path("demo/at-risk.csv"), "at-risk.csv");
}
