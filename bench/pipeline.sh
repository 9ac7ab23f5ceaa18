#!/usr/bin/env bash
# End to end against the pandas + scikit-learn peer (bench/pipeline_pandas.py): `churn train`
# (event mode, default snapshots, linear terms: the same 7 x 3 grid as the peer) then
# `churn score` at the day after the data, beside the peer doing the same from the same files.
# Each side runs RUNS times; prints min / median / max wall time and peak RSS, and the ratio of
# the medians. `churn run` (train and score from one load) is timed beside them, and its list
# compared with the two commands' in every column but the model id.
#   bash bench/pipeline.sh [CUSTOMERS=3000] [csv|parquet] [RUNS=3]
# Installs the peer's pinned Python packages into target/bench-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-3000}"
FORMAT="${2:-csv}"
RUNS="${3:-3}"
OUT="${BENCH_DIR:-target/bench-pipeline}/$N-$FORMAT"
BIN=target/release/churn
VENV=target/bench-venv
AS_OF=2026-01-01
cargo build --release --quiet --bin churn
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pandas==2.3.3 pyarrow==22.0.0 scikit-learn==1.7.2
fi
mkdir -p "$OUT"
if [ ! -d "$OUT/data" ]; then
  "$BIN" -q generate --out "$OUT/data" --customers "$N" --format "$FORMAT"
fi
export RAYON_NUM_THREADS=2
# One timed run of a command: "<wall seconds> <peak KiB>".
timed() {
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/last.log" 2>&1
  cat "$OUT/time.txt"
}
churn_run() {
  rm -rf "$OUT/models"
  local a b
  a=$(timed "$BIN" -q train --data "$OUT/data" --terms linear --models "$OUT/models")
  b=$(timed "$BIN" -q score --data "$OUT/data" --models "$OUT/models" --model latest \
    --as-of "$AS_OF" --out "$OUT/churn-list.csv")
  python3 -c "import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); \
print(f'{float(a[0]) + float(b[0]):.2f} {max(int(a[1]), int(b[1]))} train {a[0]} s + score {b[0]} s')" "$a" "$b"
}
one_run() {
  rm -rf "$OUT/run-models"
  local t
  t=$(timed "$BIN" -q run --data "$OUT/data" --terms linear --models "$OUT/run-models" \
    --as-of "$AS_OF" --out "$OUT/run-list.csv")
  python3 - "$OUT/churn-list.csv" "$OUT/run-list.csv" <<'PY'
import csv, sys
a, b = (list(csv.reader(open(p))) for p in sys.argv[1:])
drop = a[0].index("model_id")
same = [r[:drop] + r[drop + 1:] for r in a] == [r[:drop] + r[drop + 1:] for r in b]
sys.exit(0 if same else "churn run's list differs from train + score's")
PY
  echo "$t"
}
peer_run() {
  local t
  t=$(timed "$VENV/bin/python" bench/pipeline_pandas.py "$OUT/data" "$AS_OF" "$OUT/peer-list.csv")
  echo "$t $(tail -1 "$OUT/last.log")"
}
events=$("$VENV/bin/python" - "$OUT/data" <<'PY'
import glob, os, sys
import pyarrow.parquet as pq
d = sys.argv[1]
files = sorted(glob.glob(os.path.join(d, "events.*")) + glob.glob(os.path.join(d, "events", "*")))
print(sum(pq.ParquetFile(f).metadata.num_rows if f.endswith(".parquet") else sum(1 for _ in open(f)) - 1
          for f in files))
PY
)
echo "customers: $N ($FORMAT, events: $events), $(nproc) cores, $RUNS runs each"
: >"$OUT/churn.txt"
: >"$OUT/peer.txt"
: >"$OUT/one.txt"
for _ in $(seq "$RUNS"); do
  churn_run | tee -a "$OUT/churn.txt" | sed 's/^/  churn: /'
  one_run | tee -a "$OUT/one.txt" | sed 's/^/  churn run: /'
  peer_run | tee -a "$OUT/peer.txt" | sed 's/^/  peer:  /'
done
python3 - "$OUT/churn.txt" "$OUT/peer.txt" "$OUT/one.txt" <<'PY'
import statistics, sys
def read(p):
    rows = [l.split() for l in open(p) if l.strip()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]
(cw, cm), (pw, pm), (ow, om) = read(sys.argv[1]), read(sys.argv[2]), read(sys.argv[3])
fmt = lambda w: f"{min(w):.2f} / {statistics.median(w):.2f} / {max(w):.2f} s"
print(f"churn train + score: {fmt(cw)} (min / median / max), peak RSS {max(cm) / 1024:.0f} MiB")
print(f"churn run:           {fmt(ow)}, peak RSS {max(om) / 1024:.0f} MiB (same list)")
print(f"pandas + sklearn:    {fmt(pw)}, peak RSS {max(pm) / 1024:.0f} MiB")
print(f"ratio of medians: {statistics.median(pw) / statistics.median(cw):.1f}x (train + score), "
      f"{statistics.median(pw) / statistics.median(ow):.1f}x (run)")
PY
