#!/usr/bin/env bash
# The exported statement on DuckDB and Spark beside `churn score`, on the same generated
# Parquet history: wall time and peak memory of each (GNU time), and a check that DuckDB's list
# equals churn's in every column (Spark's equality is the tests' job, at smaller sizes). Usage: bench/sql.sh [CUSTOMERS=100000] [spark|nospark]
# Needs the test engines (bash tests/setup/engines.sh sql) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
SPARK="${2:-spark}"
OUT="${BENCH_DIR:-target/bench-sql}/$N"
BIN=target/release/churn
VENV="${CHURN_ENGINES_DIR:-target/test-engines}/venv"
AS_OF=2025-12-01
mkdir -p "$OUT"
if [ ! -d "$OUT/data" ]; then
  "$BIN" -q generate --out "$OUT/data" --customers "$N" --format parquet
fi
if [ ! -d "$OUT/models" ]; then
  "$BIN" -q generate --out "$OUT/train-data" --customers 2000
  "$BIN" -q train --data "$OUT/train-data" --models "$OUT/models" >/dev/null
fi
measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s wall, %M KiB peak" "$@" 2>&1 >/dev/null | grep "^$label:" || true
}
"$BIN" export-sql --model latest --models "$OUT/models" --dialect duckdb --as-of "$AS_OF" --out "$OUT/duckdb.sql"
"$BIN" export-sql --model latest --models "$OUT/models" --dialect spark --as-of "$AS_OF" --out "$OUT/spark.sql"
echo "customers: $N, as of $AS_OF, on $(nproc) cores"
measure "churn score" "$BIN" -q score --model latest --models "$OUT/models" --data "$OUT/data" \
  --as-of "$AS_OF" --format parquet --out "$OUT/churn.parquet"
# With --cache: the first night decodes every part and writes the cache, the nights after read
# the unchanged parts from it; their lists must equal the plain one byte for byte.
rm -rf "$OUT/cache"
for night in "first night, writes" "next night, reads" "next night, reads"; do
  measure "churn score --cache ($night)" "$BIN" -q score --model latest --models "$OUT/models" \
    --data "$OUT/data" --cache "$OUT/cache" --as-of "$AS_OF" --format parquet \
    --out "$OUT/churn-cached.parquet"
  cmp "$OUT/churn.parquet" "$OUT/churn-cached.parquet"
done
# Tables are single files up to 10,000 customers, folders of parts above.
table() { if [ -d "$OUT/data/$1" ]; then echo "$OUT/data/$1/*.parquet"; else echo "$OUT/data/$1.parquet"; fi; }
{
  echo "SET threads = 2;"
  for t in customers events tickets nps churn; do
    echo "CREATE VIEW $t AS SELECT * FROM read_parquet('$(table $t)');"
  done
  echo "COPY ($(cat "$OUT/duckdb.sql")) TO '$OUT/duckdb.parquet' (FORMAT PARQUET);"
} > "$OUT/duckdb-run.sql"
measure "duckdb" "$VENV/bin/duckdb" -f "$OUT/duckdb-run.sql"
if [ "$SPARK" = spark ]; then
  cat > "$OUT/spark-run.py" <<PY
import time
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "6g")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
$(for t in customers events tickets nps churn; do
  if [ -d "$OUT/data/$t" ]; then p="$OUT/data/$t"; else p="$OUT/data/$t.parquet"; fi
  echo "spark.read.parquet(\"$p\").createOrReplaceTempView(\"$t\")"
done)
start = time.time()
spark.sql(open("$OUT/spark.sql").read()).write.mode("overwrite").parquet("$OUT/spark.parquet")
print(f"spark query: {time.time() - start:.1f} s (session already up)")
spark.stop()
PY
  measure "spark (with JVM start)" "$VENV/bin/python" "$OUT/spark-run.py"
fi
# Every column of an engine's list against churn's (NULLs compared as values).
compare() { # label, parquet glob
  echo "$1 against churn score:"
  "$VENV/bin/duckdb" -c "
SELECT count(*) AS rows,
       max(abs(c.churn_probability - d.churn_probability)) AS max_probability_gap,
       max(abs(coalesce(c.revenue_at_risk, 0) - coalesce(d.revenue_at_risk, 0))) AS max_revenue_gap,
       sum(CASE WHEN c.rank IS DISTINCT FROM d.rank OR c.risk_tier IS DISTINCT FROM d.risk_tier
                OR c.reason_1 IS DISTINCT FROM d.reason_1 OR c.reason_2 IS DISTINCT FROM d.reason_2
                OR c.reason_3 IS DISTINCT FROM d.reason_3
                OR c.suggested_action IS DISTINCT FROM d.suggested_action
                OR c.model_id IS DISTINCT FROM d.model_id
                OR CAST(c.as_of AS VARCHAR) IS DISTINCT FROM CAST(d.as_of AS VARCHAR)
                THEN 1 ELSE 0 END) AS differing_rows,
       (SELECT count(*) FROM read_parquet('$OUT/churn.parquet')) AS churn_rows,
       (SELECT count(*) FROM read_parquet('$2')) AS engine_rows
FROM read_parquet('$OUT/churn.parquet') c JOIN read_parquet('$2') d USING (customer_id)"
}
compare duckdb "$OUT/duckdb.parquet"
if [ "$SPARK" = spark ]; then compare spark "$OUT/spark.parquet/*.parquet"; fi
