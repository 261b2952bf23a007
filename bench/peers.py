#!/usr/bin/python3
"""The peers' side of the side-by-side case (issue 6, case 5).

    peers.py DATADIR [--reps R] [--tasks binary,multiclass,regression]

Reads what peers_data.py wrote and, for each task, fits the peers that are installed:
  LIBLINEAR (liblinear-tools): liblinear-train -s 0 -B 1 (L2 logistic regression, the primal
      trust-region solver; one-vs-rest on 10 classes), -s 11 -B 1 for regression (L2-loss SVR).
      Its time is the wall time of liblinear-train less the time the same command takes with
      -e 1e30 (stops before the first iteration: reading the libsvm file and setting up), so
      that, like the others, it counts training only.
  scikit-learn: SGDClassifier(max_iter=10, tol=None) (10 epochs, its default hinge loss),
      LogisticRegression() (lbfgs, max_iter=100, multinomial on 10 classes);
      for regression SGDRegressor(max_iter=10, tol=None) and Ridge().
All with their default regularisation, on the raw [0, 1] pixels, as one would run them.
Prints one JSON line per fit: tool, task, rep, fit_s, metric (accuracy or rmse), value.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np


def emit(**kw):
    print(json.dumps(kw), flush=True)


def load(d, task):
    get = lambda n: np.load(os.path.join(d, f"{task}_{n}.npy"))
    return get("Xtrain"), get("ytrain"), get("Xtest"), get("ytest")


def sklearn_peers(task):
    try:
        from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
    except ImportError:
        return []
    if task == "regression":
        return [("sklearn SGDRegressor(10 epochs)", lambda: SGDRegressor(max_iter=10, tol=None, random_state=0)),
                ("sklearn Ridge", lambda: Ridge())]
    return [("sklearn SGDClassifier(10 epochs)", lambda: SGDClassifier(max_iter=10, tol=None, random_state=0)),
            ("sklearn LogisticRegression(lbfgs)", lambda: LogisticRegression())]


def score(task, y, p):
    if task == "regression":
        return "rmse", float(np.sqrt(np.mean((np.asarray(p, np.float64) - y) ** 2)))
    return "accuracy", float(np.mean(np.asarray(p) == y))


def run_liblinear(d, task, reps, tmp):
    train = os.path.join(d, f"{task}_train.libsvm")
    test = os.path.join(d, f"{task}_test.libsvm")
    model = os.path.join(tmp, f"{task}.model")
    solver = ["-s", "11"] if task == "regression" else ["-s", "0"]
    base = ["liblinear-train", *solver, "-B", "1", "-q"]

    def timed(extra):
        t0 = time.perf_counter()
        subprocess.run(base + extra + [train, model], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    for rep in range(reps):
        read_s = timed(["-e", "1e30"])
        total_s = timed([])
        out = subprocess.run(["liblinear-predict", test, model, os.path.join(tmp, "pred")], check=True,
                             capture_output=True, text=True).stdout
        if task == "regression":
            m = re.search(r"Mean squared error = ([0-9.eE+-]+)", out)
            metric, value = "rmse", float(m.group(1)) ** 0.5
        else:
            m = re.search(r"Accuracy = ([0-9.]+)%", out)
            metric, value = "accuracy", float(m.group(1)) / 100
        emit(bench="peer", tool="LIBLINEAR " + " ".join(solver) + " -B 1", task=task, rep=rep,
             fit_s=max(total_s - read_s, 0.0), total_s=total_s, read_s=read_s, metric=metric, value=value)
        print(f"  LIBLINEAR {task} rep {rep}: {total_s - read_s:.2f}s (+{read_s:.2f}s reading), "
              f"{metric} {value:.4f}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datadir")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tasks", default="binary,multiclass,regression")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    have_liblinear = shutil.which("liblinear-train") and shutil.which("liblinear-predict")
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            X, y, Xt, yt = load(args.datadir, task)
            for name, make in sklearn_peers(task):
                for rep in range(args.reps):
                    model = make()
                    t0 = time.perf_counter()
                    model.fit(X, y)
                    fit_s = time.perf_counter() - t0
                    metric, value = score(task, yt, model.predict(Xt))
                    emit(bench="peer", tool=name, task=task, rep=rep, fit_s=fit_s, metric=metric, value=value)
                    print(f"  {name} {task} rep {rep}: {fit_s:.2f}s, {metric} {value:.4f}", file=sys.stderr)
            if have_liblinear:
                run_liblinear(args.datadir, task, args.reps, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
