"""Run one SQL statement on Spark in local mode over the contract's tables and write its rows.

usage: spark_run.py DATA_DIR FORMAT QUERY_FILE OUT_JSONL
  FORMAT csv      every table read from DATA_DIR/<name>.csv with every column as text
  FORMAT parquet  every table read from DATA_DIR/<name>.parquet as typed

The rows are written as JSON Lines, doubles with repr (shortest round trip), in the query's
order. The session time zone is UTC (typed timestamps are read through their text).
"""
import json
import math
import os
import sys

from pyspark.sql import SparkSession

TABLES = ["customers", "events", "tickets", "nps", "churn"]


def main():
    data, fmt, query_file, out = sys.argv[1:5]
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("churn-export-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for name in TABLES:
        path = os.path.join(data, f"{name}.{fmt}")
        if fmt == "csv":
            df = spark.read.option("header", "true").csv(path)
        else:
            df = spark.read.parquet(path)
        df.createOrReplaceTempView(name)
    with open(query_file) as f:
        query = f.read()
    rows = spark.sql(query).collect()
    with open(out, "w") as f:
        for r in rows:
            d = r.asDict()
            for k, v in d.items():
                if isinstance(v, float) and not math.isfinite(v):
                    d[k] = None
                elif hasattr(v, "isoformat"):
                    d[k] = v.isoformat()
            f.write(json.dumps(d) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
