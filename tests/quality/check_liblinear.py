"""L2-regularised logistic regression: linlearn's optimum against LIBLINEAR's.

LIBLINEAR's solver 0 (`liblinear-train -s 0 -c C -B 1`) minimises, over w and the bias
weight b of its constant feature,

    F(w, b) = 0.5 (|w|^2 + b^2) + C sum_i log(1 + exp(-s_i (w.x_i + b))),  s_i = +-1,

to a tight tolerance with a trust-region Newton method. linlearn with one model, the
logistic loss and a full batch minimises

    G(w, b) = (1/n) sum_i log(1 + exp(-s_i (w.x_i + b))) + (wd/2) |w|^2 + (wd bias_wd_mult/2) b^2,

on standardized features (docs/hyperparameters.md, "Loss functions"). With wd = 1/(C n)
and bias_wd_mult = 1, G = F / (C n): the same minimiser. With normalize_data=false and
unbias_data=false the standardized features are the raw ones; with them on, LIBLINEAR is
given the standardized features (population mean and standard deviation of the
training rows, as linlearn's scaler computes them when the data has fewer than
num_point_for_scaler rows), and both optima are compared in that space.

For each case the objective F of linlearn's weights (read from its model file) must be
within a relative tolerance of F at LIBLINEAR's weights (read from its model file),
both computed here in float64. A wrong wd mapping (wd = 1/C, or a per-row average
missing) moves the optimum by far more than the tolerance; the test also checks that.

Exit status: 0 passed, 1 failed, 77 skipped (liblinear-train not installed; Debian's
package is liblinear-tools).

usage: check_liblinear.py LINLEARN_BINARY DATA_DIR WORK_DIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys

SKIP = 77

try:
    import numpy as np
except ImportError:  # reported by main()
    np = None


def load_csv(path):
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, 1:], a[:, 0]


def read_linlearn_model(path):
    """W (features x outputs) and b of a linlearn model file (format: lib/model_io.cpp)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"LLMODEL\x1a":
        raise ValueError(f"{path}: not a linlearn model file")
    _version, header_len = struct.unpack_from("<II", raw, 8)
    header = json.loads(raw[24:24 + header_len])
    d, k = header["features"], header["outputs"]
    floats = np.frombuffer(raw, dtype="<f4", count=d * k + k, offset=24 + header_len).astype(float)
    return floats[:d * k].reshape(k, d).T, floats[d * k:], header


def read_liblinear_model(path):
    """w and bias weight of LIBLINEAR's model file, as the score of the label +1."""
    with open(path) as f:
        lines = f.read().split("\n")
    head = {}
    i = 0
    while lines[i] != "w":
        key, _, value = lines[i].partition(" ")
        head[key] = value
        i += 1
    values = np.array([float(line.split()[0]) for line in lines[i + 1:] if line.strip()])
    labels = [int(v) for v in head["label"].split()]
    if float(head.get("bias", "-1")) < 0:
        raise ValueError("expected a model trained with -B 1")
    # The bias feature has the value `bias` (1 with -B 1): its weight times it is b.
    w, b = values[:-1], values[-1] * float(head["bias"])
    # For two classes LIBLINEAR keeps one vector, the score of its first label.
    if labels[0] != 1:
        w, b = -w, -b
    return w, b


def liblinear_objective(X, s, w, b, C):
    z = X @ w + b
    return 0.5 * (w @ w + b * b) + C * np.logaddexp(0.0, -s * z).sum()


def write_libsvm(path, X, s):
    with open(path, "w") as f:
        for xi, si in zip(X, s):
            feats = " ".join(f"{j + 1}:{v:.17g}" for j, v in enumerate(xi) if v != 0)
            f.write(f"{int(si):+d} {feats}\n")


def run_case(binary, data_dir, work_dir, case):
    name, dataset, C, scaled, hps, rtol = (case[k] for k in ("name", "data", "C", "scaled", "hp", "rtol"))
    train_csv = os.path.join(data_dir, f"{dataset}.train.csv")
    X, y = load_csv(train_csv)
    n = len(y)
    s = 2.0 * y - 1.0
    # The space both optimise in: raw features, or standardized by the training rows'
    # population mean and standard deviation (linlearn's scaler on < 10,000 rows).
    if scaled:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std[std == 0] = 1.0
    else:
        mean, std = np.zeros(X.shape[1]), np.ones(X.shape[1])
    Xs = (X - mean) / std

    out = os.path.join(work_dir, name)
    os.makedirs(out, exist_ok=True)
    svm = os.path.join(out, "train.libsvm")
    write_libsvm(svm, Xs, s)
    ll_model = os.path.join(out, "liblinear.model")
    subprocess.run(["liblinear-train", "-q", "-s", "0", "-c", repr(C), "-B", "1", "-e", "1e-8", svm, ll_model],
                   check=True, stdout=subprocess.DEVNULL)
    w_ref, b_ref = read_liblinear_model(ll_model)
    f_ref = liblinear_objective(Xs, s, w_ref, b_ref, C)

    params = {
        "predictor_type": "binary_classifier", "loss": "logistic", "num_models": "1",
        "normalize_data": "true" if scaled else "false", "unbias_data": "true" if scaled else "false",
        "wd": repr(1.0 / (C * n)), "bias_wd_mult": "1", "l1": "0", "mini_batch_size": str(n),
        "binary_classifier_model_selection_criteria": "loss_function", "num_threads": "1",
    }
    params.update(hps)
    cmd = [binary, "train", "-q", "-o", os.path.join(out, "linlearn"), "--train", train_csv]
    for k, v in params.items():
        cmd += ["--hp", f"{k}={v}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    W, b, header = read_linlearn_model(os.path.join(out, "linlearn", "model.llmodel"))
    # Raw weights back into the space LIBLINEAR solved in: w_s = w * std, b_s = b + w.mean.
    w_ours = W[:, 0] * std
    b_ours = b[0] + W[:, 0] @ mean
    f_ours = liblinear_objective(Xs, s, w_ours, b_ours, C)
    rel = (f_ours - f_ref) / abs(f_ref)
    ok = abs(rel) <= rtol
    print(f"{'ok  ' if ok else 'FAIL'} {name:32s} F(liblinear) {f_ref:.10g}  F(linlearn) {f_ours:.10g}  "
          f"relative gap {rel:+.2e} (tolerance {rtol:g}; best epoch {header.get('best_epoch')}, "
          f"max |dw| {np.max(np.abs(np.append(w_ours - w_ref, b_ours - b_ref))):.2e})")
    # A wrong regularisation mapping must be caught by the tolerance: the optimum at 10x
    # the strength has an objective F measurably above LIBLINEAR's.
    svm_w = os.path.join(out, "liblinear_c10.model")
    subprocess.run(["liblinear-train", "-q", "-s", "0", "-c", repr(C / 10), "-B", "1", "-e", "1e-8", svm, svm_w],
                   check=True, stdout=subprocess.DEVNULL)
    w10, b10 = read_liblinear_model(svm_w)
    gap10 = (liblinear_objective(Xs, s, w10, b10, C) - f_ref) / abs(f_ref)
    if not gap10 > 10 * rtol:
        print(f"FAIL {name}: the tolerance {rtol:g} would not catch a 10x regularisation error (gap {gap10:.2e})")
        ok = False
    return ok


CASES = [
    # Plain full-batch gradient descent converges monotonically: a tight tolerance.
    {"name": "heart_scale_raw_C1_sgd", "data": "heart_scale", "C": 1.0, "scaled": False, "rtol": 1e-6,
     "hp": {"optimizer": "sgd", "momentum": "0", "learning_rate": "0.5", "use_lr_scheduler": "false",
            "epochs": "10000", "early_stopping_patience": "10000"}},
    {"name": "heart_scale_raw_C0.05_sgd", "data": "heart_scale", "C": 0.05, "scaled": False, "rtol": 1e-6,
     "hp": {"optimizer": "sgd", "momentum": "0", "learning_rate": "0.5", "use_lr_scheduler": "false",
            "epochs": "4000", "early_stopping_patience": "10000"}},
    # Standardized features: the scaler folded into the weights, the bias penalised in that space.
    {"name": "breast_cancer_scaled_C1_sgd", "data": "breast_cancer", "C": 1.0, "scaled": True, "rtol": 1e-5,
     "hp": {"optimizer": "sgd", "momentum": "0", "learning_rate": "0.5", "use_lr_scheduler": "false",
            "epochs": "10000", "early_stopping_patience": "10000"}},
    # adam, linlearn's default optimizer, with its decaying learning rate.
    {"name": "heart_scale_raw_C1_adam", "data": "heart_scale", "C": 1.0, "scaled": False, "rtol": 1e-5,
     "hp": {"optimizer": "adam", "learning_rate": "0.05", "lr_scheduler_factor": "0.995",
            "epochs": "3000", "early_stopping_patience": "10000"}},
]


def main():
    binary, data_dir, work_dir = sys.argv[1:4]
    if np is None:
        print("SKIP: numpy is not installed (Debian package python3-numpy)")
        return SKIP
    if shutil.which("liblinear-train") is None:
        print("SKIP: liblinear-train is not installed (Debian package liblinear-tools); "
              "the comparison with LIBLINEAR's optimum did not run")
        return SKIP
    os.makedirs(work_dir, exist_ok=True)
    failures = sum(not run_case(binary, data_dir, work_dir, case) for case in CASES)
    print(f"{len(CASES) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
