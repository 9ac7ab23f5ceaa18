"""Compare `churn features` output with bench/features_pandas.py --out, per customer and column.

    python3 bench/compare_features.py OURS.csv PANDAS.csv [TOLERANCE]

Prints every disagreement (customer, column, ours, pandas) beyond TOLERANCE (default 1e-9) and
exits 1 if there is any. Columns only one side has are listed, not compared.
"""
import sys

import numpy as np
import pandas as pd


def main():
    ours_path, theirs_path = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    ours = pd.read_csv(ours_path, dtype={"customer_id": str}).set_index("customer_id")
    theirs = pd.read_csv(theirs_path, dtype={"customer_id": str}).set_index("customer_id")
    bad = 0
    only_ours = sorted(set(ours.index) - set(theirs.index))
    only_theirs = sorted(set(theirs.index) - set(ours.index))
    if only_ours or only_theirs:
        print(f"population differs: {len(only_ours)} only ours {only_ours[:5]}, "
              f"{len(only_theirs)} only pandas {only_theirs[:5]}")
        bad += 1
    ids = ours.index.intersection(theirs.index)
    cols = [c for c in theirs.columns if c in ours.columns]
    print(f"{len(ids)} customers, {len(cols)} columns compared; "
          f"only ours: {[c for c in ours.columns if c not in theirs.columns]}")
    for c in cols:
        a, b = ours.loc[ids, c], theirs.loc[ids, c]
        if not (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)):
            diff = ~((a == b) | (a.isna() & b.isna()))
        else:
            a, b = a.astype(float), b.astype(float)
            close = np.isclose(a, b, rtol=0, atol=tol) | (a.isna() & b.isna())
            diff = ~close
        n = int(diff.sum())
        if n:
            bad += 1
            print(f"{c}: {n} disagreements, e.g.")
            print(pd.DataFrame({"ours": a[diff], "pandas": b[diff]}).head(5).to_string())
    print("OK: every compared feature agrees" if not bad else f"{bad} columns disagree")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
