#!/usr/bin/env bash
# Feature-extraction benchmark (issue: point-in-time features).
#   bash bench/features.sh [CUSTOMERS] [WORK_DIR]
# Generates CUSTOMERS (default 1,000,000: ~146M events) as Parquet unless WORK_DIR/data exists,
# then builds features for one cutoff and for 12 monthly cutoffs from one read of each table,
# printing wall time, events per second and peak RSS; then times the whole `churn features`
# command for the same one cutoff with GNU time. Pass a smaller CUSTOMERS (e.g. 100000) to check
# linear scaling. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${2:-/tmp/churn-bench-$n}
cargo build --release --quiet --bin churn --example bench_features
bin=target/release/churn
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/churn
ex=$(dirname "$bin")/examples/bench_features
gnutime=""
[ -x /usr/bin/time ] && gnutime=/usr/bin/time
if [ ! -d "$work/data" ]; then
  echo "generating $n customers into $work/data ..."
  if [ -n "$gnutime" ]; then
    $gnutime -f "generate: %e s, peak RSS %M KiB" "$bin" -q generate --out "$work/data" --customers "$n" --format parquet
  else
    "$bin" -q generate --out "$work/data" --customers "$n" --format parquet
  fi
fi
du -sh "$work/data"
out=$("$ex" "$work/data")
echo "$out"
cutoff=$(echo "$out" | sed -n 's/^cutoffs: one T = \([0-9-]*\);.*/\1/p')
if [ -n "$gnutime" ] && [ -n "$cutoff" ]; then
  $gnutime -f "churn features --as-of $cutoff (whole command, Parquet out): %e s wall, %U s user, %S s sys, peak RSS %M KiB" \
    "$bin" -q features --data "$work/data" --as-of "$cutoff" --out "$work/features.parquet"
fi
echo "pandas baseline (same data, same cutoff): python3 bench/features_pandas.py $work/data ${cutoff:-<CUTOFF>}"
