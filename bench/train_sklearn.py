"""scikit-learn on the matrix `cargo run --release --example bench_train -- --dump DIR` wrote:
each alpha's LogisticRegression(lbfgs) fit alone (CPU seconds, one BLAS thread), then
GridSearchCV(n_jobs=2) over the same 7 values of C with 5 stratified folds (wall seconds).
linfa-logistic's objective is the summed log-loss + alpha/2 ||w||^2, scikit-learn's
C * summed log-loss + 1/2 ||w||^2: the same optimum with C = 1 / alpha.

    target/bench-venv/bin/python bench/train_sklearn.py DIR
"""
import os

# One BLAS thread for the single fits; GridSearchCV's workers get one each as well.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

ALPHAS = [100.0, 10.0, 1.0, 0.1, 0.01, 0.001, 0.0001]


def main():
    d = sys.argv[1]
    n, p = (int(v) for v in open(os.path.join(d, "shape.txt")).read().split())
    x = np.fromfile(os.path.join(d, "x.f64"), dtype="<f8").reshape(p, n).T
    y = np.fromfile(os.path.join(d, "y.u8"), dtype=np.uint8).astype(bool)
    print(f"scikit-learn {sklearn.__version__}, {n} rows x {p} columns, {y.mean():.1%} positive")
    print("alpha       lbfgs fit CPU s   iterations")
    total = 0.0
    for alpha in ALPHAS:
        c0 = time.process_time()
        m = LogisticRegression(C=1 / alpha, solver="lbfgs", tol=1e-4, max_iter=300).fit(x, y)
        c = time.process_time() - c0
        total += c
        print(f"{alpha:<10} {c:>10.2f}        {m.n_iter_[0]}")
    print(f"mean CPU per fit: {total / len(ALPHAS):.2f} s")
    for jobs in (1, 2):
        t0 = time.time()
        grid = GridSearchCV(
            LogisticRegression(solver="lbfgs", tol=1e-4, max_iter=300),
            {"C": [1 / a for a in ALPHAS]},
            cv=StratifiedKFold(5, shuffle=True, random_state=42),
            scoring="roc_auc",
            n_jobs=jobs,
        ).fit(x, y)
        wall = time.time() - t0
        fit_cpu = grid.cv_results_["mean_fit_time"].mean()
        print(
            f"GridSearchCV {len(ALPHAS)} C x 5 folds + refit, n_jobs={jobs}: {wall:.2f} s wall "
            f"(mean fit {fit_cpu:.2f} s; best C {grid.best_params_['C']:g})"
        )


if __name__ == "__main__":
    main()
