//! Short histories and long horizons: CDNOW in its classic setup (features at 1997-10-01, churn =
//! no purchase in the following 272 days) has one cutoff, too few for time-ordered folds, and
//! trains with customer-grouped folds, labelled as such.

mod common;

use common::{dataset, TestEnv};

#[test]
fn cdnow_classic_setup_trains_with_customer_grouped_folds() {
    let env = TestEnv::new();
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cdnow.toml");
    let data = dataset("cdnow");
    let run = env
        .run(&[
            "train",
            "--data",
            data.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--definition",
            "inactivity",
            "--horizon",
            "272",
            "--snapshots",
            "1997-10-01..1997-10-01:monthly",
            "--models",
            "models",
            "--json",
        ])
        .ok()
        .stderr_has(&["NOT time-ordered"]);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["n_rows"], 23_570);
    assert_eq!(
        summary["holdout"]["n"], 23_570,
        "every customer predicted out of fold"
    );
    // scikit-learn 1.9 on the same setup: ROC AUC 0.771 +- 0.005 (../shared/datasets/README.md);
    // this pipeline measured 0.7644 out of fold (5 folds, seed 42), below the reference by
    // about 0.007 (its folds and its chosen alpha, 10, differ from scikit-learn's C = 1).
    let auc = summary["holdout"]["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.76, "out-of-fold ROC AUC {auc}");
    let model = common::only_model_json(&env.path("models"));
    assert_eq!(
        model["validation"]["holdout_kind"],
        "customer_grouped_out_of_fold"
    );
    assert_eq!(model["training_cutoffs"], serde_json::json!(["1997-10-01"]));
    assert!(model["holdout_cutoff"].is_null());
}
