"""Run SQL statements on Spark in local mode over the contract's tables and write their rows.

usage: spark_run.py JOBS_JSON
  JOBS_JSON is a list of {"data": DIR, "format": "csv"|"parquet", "query": FILE, "out": FILE}
  (and optionally "tables": the table names to read, default the contract's five).
  csv      every table read from DIR/<name>.csv with every column as text
  parquet  every table read from DIR/<name>.parquet, typed

One Spark session runs every job (the JVM starts once). Rows are written as JSON Lines in the
query's order, doubles in Python's repr (shortest round trip). The session time zone is UTC.
"""
import json
import math
import os
import sys

from pyspark.sql import SparkSession

TABLES = ["customers", "events", "tickets", "nps", "churn"]


def run(spark, job):
    for name in job.get("tables", TABLES):
        path = os.path.join(job["data"], f"{name}.{job['format']}")
        if job["format"] == "csv":
            df = spark.read.option("header", "true").csv(path)
        else:
            df = spark.read.parquet(path)
        df.createOrReplaceTempView(name)
    with open(job["query"]) as f:
        query = f.read()
    rows = spark.sql(query).collect()
    with open(job["out"], "w") as f:
        for r in rows:
            d = r.asDict()
            for k, v in d.items():
                if isinstance(v, float) and not math.isfinite(v):
                    d[k] = None
            f.write(json.dumps(d) + "\n")


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("churn-export-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for job in jobs:
            run(spark, job)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
