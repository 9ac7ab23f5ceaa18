"""A straightforward pandas implementation of the contract's section-3 features for one cutoff,
as the baseline for `bench/features.sh` (the "pandas notebook" churn is meant to beat).

    pip install pandas pyarrow
    python3 bench/features_pandas.py DATA_DIR 2025-12-01 [--out FEATURES.csv]

With --out, also writes the feature table (customer_id, then the features) to cross-check against
`churn features` with bench/compare_features.py. Reads the same tables (CSV or Parquet, files or folders of parts) and prints wall time, events per
second and peak RSS. Only the columns each feature needs are read.
"""
import glob
import os
import resource
import sys
import time

import numpy as np
import pandas as pd


def read(data, table, columns):
    paths = sorted(glob.glob(os.path.join(data, table, "*.parquet")) + glob.glob(os.path.join(data, table + ".parquet")))
    if paths:
        return pd.concat([pd.read_parquet(p, columns=columns) for p in paths], ignore_index=True)
    paths = sorted(glob.glob(os.path.join(data, table, "*.csv")) + glob.glob(os.path.join(data, table + ".csv")))
    if not paths:
        return None
    return pd.concat([pd.read_csv(p, usecols=columns) for p in paths], ignore_index=True)


def to_ts(s):
    # ISO 8601 with or without a zone (no zone = UTC, contract section 1), mixed in one column.
    return pd.to_datetime(s, utc=True, format="ISO8601").dt.tz_localize(None)


def count_in(df, col, T, days):
    m = (df[col] >= T - pd.Timedelta(days=days)) & (df[col] < T)
    return df[m].groupby("customer_id").size()


def load(data):
    """The five tables with the columns the features need, datetimes parsed."""
    cu = read(data, "customers", ["customer_id", "signup_date", "monthly_revenue", "contract_months", "plan", "segment"])
    cu["signup_date"] = to_ts(cu["signup_date"])
    churn = read(data, "churn", ["customer_id", "churned_at"])
    if churn is not None:
        churn["churned_at"] = to_ts(churn["churned_at"])
        cu = cu.merge(churn, on="customer_id", how="left")
    else:
        cu["churned_at"] = pd.NaT
    ev = read(data, "events", ["customer_id", "timestamp"])
    ev["timestamp"] = to_ts(ev["timestamp"])
    tk = read(data, "tickets", ["customer_id", "opened_at", "resolved_at", "priority", "category"])
    tk["opened_at"] = to_ts(tk["opened_at"])
    tk["resolved_at"] = to_ts(tk["resolved_at"])
    # churn reads enumerations in any case (`HIGH` is `high`).
    tk["priority"] = tk["priority"].str.lower()
    tk["category"] = tk["category"].str.lower()
    nps = read(data, "nps", ["customer_id", "responded_at", "score"])
    nps["responded_at"] = to_ts(nps["responded_at"])
    return {"customers": cu, "events": ev, "tickets": tk, "nps": nps}


def add_months(day, months):
    """day + months calendar months, clamped to the month's last day (vectorised)."""
    y = day.dt.year.to_numpy()
    m = day.dt.month.to_numpy() - 1 + months
    y, m = y + m // 12, m % 12 + 1
    first = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": 1}))
    last_day = (first + pd.offsets.MonthEnd(0)).dt.day.to_numpy()
    return first + pd.to_timedelta(np.minimum(day.dt.day.to_numpy(), last_day) - 1, unit="D")


def days_to_renewal(signup, contract_months, T):
    """Days until the first signup + k x contract_months (k >= 1) on or after T."""
    m = contract_months.to_numpy().astype(np.int64)
    elapsed = (T.year - signup.dt.year.to_numpy()) * 12 + (T.month - signup.dt.month.to_numpy())
    k = np.maximum(1, elapsed // m)
    for _ in range(3):  # at most two steps past the estimate
        later = add_months(signup, k * m).to_numpy() < np.datetime64(T)
        k = k + later
    return (add_months(signup, k * m) - T).dt.days.to_numpy()


def features(tables, T):
    """The contract's 25 features of the population at T, indexed by customer_id."""
    cu, ev, tk, nps = tables["customers"], tables["events"], tables["tickets"], tables["nps"]
    pop = cu[(cu.signup_date < T) & ~(cu.churned_at < T)].set_index("customer_id")
    out = pd.DataFrame(index=pop.index)
    before = ev[ev.timestamp < T]
    for w in (7, 30, 90):
        out[f"events_{w}d"] = count_in(before, "timestamp", T, w).reindex(out.index).fillna(0)
    last30 = before[before.timestamp >= T - pd.Timedelta(days=30)]
    out["active_days_30d"] = last30.assign(d=last30.timestamp.dt.floor("D")).groupby("customer_id").d.nunique().reindex(out.index).fillna(0)
    last = before.groupby("customer_id").timestamp.max().reindex(out.index)
    last = last.fillna(pop.signup_date)
    out["days_since_last_event"] = (T - last).dt.total_seconds() / 86400
    prev30 = count_in(before, "timestamp", T, 60).reindex(out.index).fillna(0) - out["events_30d"]
    out["events_trend_30d"] = np.log((out["events_30d"] + 1) / (prev30 + 1))
    tb = tk[tk.opened_at < T]
    out["tickets_30d"] = count_in(tb, "opened_at", T, 30).reindex(out.index).fillna(0)
    out["tickets_90d"] = count_in(tb, "opened_at", T, 90).reindex(out.index).fillna(0)
    open_ = tb[tb.resolved_at.isna() | (tb.resolved_at >= T)]
    out["open_tickets"] = open_.groupby("customer_id").size().reindex(out.index).fillna(0)
    t90 = tb[tb.opened_at >= T - pd.Timedelta(days=90)]
    out["urgent_tickets_90d"] = t90[t90.priority.isin(["high", "urgent"])].groupby("customer_id").size().reindex(out.index).fillna(0)
    out["billing_tickets_90d"] = t90[t90.category.isin(["billing", "discount_request"])].groupby("customer_id").size().reindex(out.index).fillna(0)
    res = t90[t90.resolved_at < T]
    hours = ((res.resolved_at - res.opened_at).dt.total_seconds() / 3600).groupby(res.customer_id).mean()
    out["mean_resolution_hours_90d"] = hours.reindex(out.index).fillna(0)
    # The contract's order: by time, and at equal times the lower score counts as the later.
    # Newest first: time descending, then score ascending; nth(0) is the last, nth(1) the one before.
    nb = nps[nps.responded_at < T].sort_values(["customer_id", "responded_at", "score"], ascending=[True, False, True])
    lastn = nb.groupby("customer_id").nth(0).set_index("customer_id")
    prevn = nb.groupby("customer_id").nth(1).set_index("customer_id")
    out["nps_last_score"] = lastn.score.reindex(out.index)
    s = out["nps_last_score"]
    out["nps_passive"] = s.between(7, 8).astype(int)
    out["nps_detractor"] = (s <= 6).astype(int)
    out["nps_promoter"] = (s >= 9).astype(int)
    out["nps_no_response"] = s.isna().astype(int)
    out["nps_delta"] = (s - prevn.score.reindex(out.index)).fillna(0)
    out["days_since_nps"] = (T - lastn.responded_at.reindex(out.index)).dt.total_seconds() / 86400
    out["tenure_days"] = (T - pop.signup_date).dt.days
    out["monthly_revenue"] = pop.monthly_revenue
    out["days_to_renewal"] = days_to_renewal(pop.signup_date, pop.contract_months, T)
    out["annual_contract"] = (pop.contract_months >= 12).astype(int)
    out["plan"] = pop.plan
    out["segment"] = pop.segment
    return out, pop


def main():
    args = sys.argv[1:]
    out_path = None
    if "--out" in args:
        i = args.index("--out")
        out_path = args[i + 1]
        del args[i : i + 2]
    data, as_of = args[0], pd.Timestamp(args[1])
    t0 = time.time()
    tables = load(data)
    ev = tables["events"]
    t_load = time.time() - t0
    out, _ = features(tables, as_of)
    total = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas: load {t_load:.2f} s, total {total:.2f} s for {len(out)} rows, {len(ev)} events "
          f"({len(ev) / total / 1e6:.2f} M events/s end to end), peak RSS {rss:.0f} MiB")
    if out_path:
        out.sort_index().to_csv(out_path, index_label="customer_id", float_format="%.17g")


if __name__ == "__main__":
    main()
