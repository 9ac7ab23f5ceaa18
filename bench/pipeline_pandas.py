"""The pandas + scikit-learn peer of `churn train` + `churn score`, for bench/pipeline.sh: what a
data scientist would write in a notebook, kept honest (vectorised pandas, the contract's 25
features from bench/features_pandas.py, checked equal to churn's by bench/compare_features.py).

    python3 bench/pipeline_pandas.py DATA_DIR AS_OF OUT.csv [--horizon 30]

The same design as churn's event mode (docs/data-contract.md 4): monthly snapshots (the first
of each month from 90 days after the first event to the last with a complete 30-day label), the
latest labelled cutoff held out, up to 3 earlier cutoffs as rolling-origin validation folds,
each fitted only on rows whose label window had ended; GridSearchCV over the same 7 values of
C = 1 / alpha with n_jobs=2; median imputation with missing indicators, standard scaling,
one-hot categories; the final fit on every row whose label ended by the holdout cutoff; tiers
from the holdout's top 10 % and 30 %; then the ranked list at AS_OF with revenue at risk and the
three strongest pushes as reasons. Prints the time of each step and the peak RSS.
"""
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, os.path.dirname(__file__))
from features_pandas import features, load  # noqa: E402

ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]
CATEGORIES = ["plan", "segment"]


def cutoffs(tables, horizon):
    """churn's default training cutoffs and the end of the data."""
    times = [
        tables["customers"].signup_date.max(),
        tables["customers"].churned_at.max(),
        tables["events"].timestamp.max(),
        tables["tickets"].opened_at.max(),
        tables["tickets"].resolved_at.max(),
        tables["nps"].responded_at.max(),
    ]
    end = max(t for t in times if pd.notna(t))
    earliest = tables["events"].timestamp.min().floor("D") + pd.Timedelta(days=90)
    first = earliest if earliest.day == 1 else (earliest + pd.offsets.MonthBegin(1))
    out = []
    t = first.normalize()
    while t + pd.Timedelta(days=horizon) <= end:
        out.append(t)
        t = t + pd.offsets.MonthBegin(1)
    return out


def snapshots(tables, cuts, horizon):
    """One row per (customer, cutoff): features, as_of and the label."""
    parts = []
    for T in cuts:
        x, pop = features(tables, T)
        x["as_of"] = T
        x["label"] = ((pop.churned_at >= T) & (pop.churned_at < T + pd.Timedelta(days=horizon))).astype(int)
        parts.append(x)
    return pd.concat(parts).reset_index()


def model(numeric):
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORIES),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])


def main():
    args = sys.argv[1:]
    horizon = 30
    if "--horizon" in args:
        i = args.index("--horizon")
        horizon = int(args[i + 1])
        del args[i : i + 2]
    data, as_of, out_path = args[0], pd.Timestamp(args[1]), args[2]
    clock = {}
    t0 = time.time()
    tables = load(data)
    clock["load"] = time.time() - t0

    t = time.time()
    cuts = cutoffs(tables, horizon)
    snaps = snapshots(tables, cuts, horizon)
    clock["snapshots"] = time.time() - t

    t = time.time()
    numeric = [c for c in snaps.columns if c not in CATEGORIES + ["customer_id", "as_of", "label"]]
    holdout, valid = cuts[-1], cuts[-4:-1]
    h = pd.Timedelta(days=horizon)
    splits = [
        (np.flatnonzero((snaps.as_of + h <= v).to_numpy()), np.flatnonzero((snaps.as_of == v).to_numpy()))
        for v in valid
    ]
    splits = [(a, b) for a, b in splits if len(a) and len(b)]
    X, y = snaps[numeric + CATEGORIES], snaps.label.to_numpy()
    grid = GridSearchCV(
        model(numeric), {"clf__C": [1 / a for a in ALPHAS]}, cv=splits, scoring="roc_auc", n_jobs=2, refit=False
    )
    grid.fit(X, y)
    C = grid.best_params_["clf__C"]
    train = (snaps.as_of + h <= holdout).to_numpy()
    final = model(numeric).fit(X[train], y[train])
    held = (snaps.as_of == holdout).to_numpy()
    p_hold = np.sort(final.predict_proba(X[held])[:, 1])[::-1]
    at = lambda share: p_hold[max(int(np.ceil(share * len(p_hold))), 1) - 1]  # noqa: E731
    high, medium = at(0.10), at(0.30)
    clock["train"] = time.time() - t

    t = time.time()
    x, pop = features(tables, as_of)
    x = x.reset_index()
    p = final.predict_proba(x[numeric + CATEGORIES])[:, 1]
    # Pushes: coefficient x transformed value, summed per source feature, top three as reasons.
    z = final.named_steps["pre"].transform(x[numeric + CATEGORIES])
    z = z.toarray() if hasattr(z, "toarray") else z
    names = final.named_steps["pre"].get_feature_names_out()
    source = np.array([n.split("__", 1)[1].split("_missing")[0] for n in names])
    for c in CATEGORIES:
        source[np.char.startswith(source.astype(str), c + "_")] = c
    push = z * final.named_steps["clf"].coef_[0]
    groups = sorted(set(source))
    per = np.stack([push[:, source == g].sum(axis=1) for g in groups], axis=1)
    top = np.argsort(-per, axis=1, kind="stable")[:, :3]
    gnames = np.array(groups)
    listing = pd.DataFrame(
        {
            "customer_id": x.customer_id,
            "churn_probability": p,
            "risk_tier": np.where(p >= high, "high", np.where(p >= medium, "medium", "low")),
            "revenue_at_risk": p * x.monthly_revenue * 12,
            "reason_1": gnames[top[:, 0]],
            "reason_2": gnames[top[:, 1]],
            "reason_3": gnames[top[:, 2]],
        }
    ).sort_values(["churn_probability", "customer_id"], ascending=[False, True])
    listing.insert(0, "rank", np.arange(1, len(listing) + 1))
    listing.to_csv(out_path, index=False, float_format="%.6f")
    clock["score"] = time.time() - t
    total = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in clock.items())
    print(
        f"pandas+sklearn: {total:.2f} s total ({steps}); {len(cuts)} cutoffs, {len(snaps)} snapshot rows, "
        f"C = {C:g}, {len(listing)} customers listed; peak RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
