#!/usr/bin/env bash
# Linear against binned numeric terms, by cross-validated ROC AUC, on the public datasets and on
# generated data (issue: real data, non-linear terms).
#   bash bench/terms.sh [WORK_DIR]
# Trains each dataset once with `--terms search` (validation compares linear terms with linear
# plus 5 quantile bins per numeric feature, and keeps bins only when they gain 0.002 of mean
# validation AUC) and prints both forms' best mean validation ROC AUC from metrics.json.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/churn-bench-terms}
cargo build --release --quiet --bin churn
bin=${CARGO_TARGET_DIR:-target}/release/churn
data=../shared/datasets
rm -rf "$work" && mkdir -p "$work"
train() { # name, then train flags
  local name=$1; shift
  "$bin" -q train --models "$work/$name" "$@" > /dev/null
  python3 - "$name" "$work/$name" <<'PY'
import json, os, sys
name, models = sys.argv[1], sys.argv[2]
d = [e for e in os.listdir(models) if not e.startswith(".")][0]
m = json.load(open(os.path.join(models, d, "metrics.json")))
forms = {f["form"]: f for f in m["terms"]}
chosen = [f["form"] for f in m["terms"] if f["chosen"]][0]
print(f"{name:<28} linear {forms['linear']['cv_mean_auc']:.4f}   binned {forms['binned']['cv_mean_auc']:.4f}   chosen {chosen}")
PY
}
train telco_ibm --table "$data/telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv" --id customerID --label Churn
train bigml_telecom_80 --table "$data/bigml_telecom/churn-bigml-80.csv" --label Churn
"$bin" -q generate --out "$work/demo-data" --customers 2000 --seed 42 > /dev/null
train generated_2000_seed42 --data "$work/demo-data"
"$bin" -q generate --out "$work/demo-data-7" --customers 5000 --seed 7 > /dev/null
train generated_5000_seed7 --data "$work/demo-data-7"
