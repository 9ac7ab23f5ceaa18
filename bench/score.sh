#!/usr/bin/env bash
# Nightly-scoring benchmark (issue: batch scoring).
#   bash bench/score.sh [CUSTOMERS] [WORK_DIR]
# Generates CUSTOMERS (default 1,000,000: ~146M events) as Parquet, trains a model on a small
# history with the same features (2,000 customers), then scores everyone at the day after the
# data with GNU time: wall time and peak RSS for the whole command, and from the summary JSON the
# time of each step (load, features, scoring alone, write) and the scoring step's rows per second:
# plainly, then with --cache on the night that writes it and on a night that reads it.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-/tmp/churn-bench-$n}
cargo build --release --quiet --bin churn
bin=${CARGO_TARGET_DIR:-target}/release/churn
if [ ! -d "$work/data" ]; then
  echo "generating $n customers into $work/data ..."
  "$bin" -q generate --out "$work/data" --customers "$n" --format parquet
fi
if [ ! -d "$work/models" ]; then
  "$bin" -q generate --out "$work/small" --customers 2000
  "$bin" -q train --data "$work/small" --models "$work/models"
fi
# One plain score, then with --cache: the first night writes the cache, the next reads it. The
# lists must be byte-identical.
rm -rf "$work/cache"
for run in plain "cache, first night" "cache, next night"; do
  extra=()
  out="$work/at-risk.parquet"
  if [ "$run" != plain ]; then extra=(--cache "$work/cache"); out="$work/at-risk-cached.parquet"; fi
  /usr/bin/time -f "score ($run): %e s wall, peak RSS %M KiB" \
    "$bin" -q score --model latest --models "$work/models" --data "$work/data" --as-of 2026-01-01 \
    --out "$out" --format parquet --summary-json "$work/summary.json" "${extra[@]}"
  python3 - "$work/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["timings"]
print(f"  population {s['population']}: load {t['load_s']:.2f} s, features {t['features_s']:.2f} s, "
      f"scoring {t['score_s']:.2f} s ({s['population'] / t['score_s'] / 1e6:.2f} M rows/s), write {t['write_s']:.2f} s")
PY
done
cmp "$work/at-risk.parquet" "$work/at-risk-cached.parquet" && echo "lists: byte-identical"
