#!/usr/bin/env bash
# Feature-extraction benchmark (issue: point-in-time features).
#   bash bench/features.sh [CUSTOMERS] [WORK_DIR]
# Generates CUSTOMERS (default 1,000,000: ~100M events) as Parquet, then builds features for one
# cutoff and for 12 monthly cutoffs from one read of each table, printing wall time, events per
# second and peak RSS. Also times the `churn features` command itself (one cutoff) with GNU time
# when available. Pass a smaller CUSTOMERS (e.g. 100000) to check linear scaling.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-/tmp/churn-bench-$n}
cargo build --release --quiet --bin churn --example bench_features
bin=target/release/churn
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/churn
ex=$(dirname "$bin")/examples/bench_features
if [ ! -d "$work/data" ]; then
  echo "generating $n customers into $work/data ..."
  /usr/bin/env time -f "generate: %e s, peak RSS %M KiB" "$bin" generate --out "$work/data" --customers "$n" --format parquet 2>&1 | tail -3 \
    || "$bin" generate --out "$work/data" --customers "$n" --format parquet
fi
du -sh "$work/data"
"$ex" "$work/data"
echo "pandas baseline (same data, one cutoff): python3 bench/features_pandas.py $work/data <CUTOFF>"
