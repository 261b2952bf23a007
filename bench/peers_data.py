#!/usr/bin/python3
"""Seeded synthetic data shaped like Fashion-MNIST, for the side-by-side case (issue 6, case 5).

    peers_data.py OUTDIR [--train N] [--test N] [--seed S]

Writes, for TASK in binary, multiclass, regression:
    TASK_Xtrain.npy TASK_ytrain.npy TASK_Xtest.npy TASK_ytest.npy   (float32; linlearn, sklearn)
    TASK_train.libsvm TASK_test.libsvm                               (LIBLINEAR)
and prints one JSON line describing them.

The images: 28 x 28 pixels in [0, 1] quantised to 1/255 like the real data, with about a
quarter of the pixels zero. Each of 10 classes has a prototype (a shared "garment" shape
plus class-specific blobs); a sample is its class prototype with a random brightness,
plus within-class variation along 40 smooth shared directions, plus pixel noise, clipped.
The within-class spread (--spread, default 0.12) is set so that a linear model gets about
what it gets on Fashion-MNIST: ~85% on 10 classes, ~93% on class 0 against the rest
("tops against the rest", 10% positives). Regression: y = x.w + noise with a smooth w
(R^2 about 0.9).

Nothing is downloaded; the same seed gives the same files.
"""
import argparse
import json
import os
import sys

import numpy as np


def smooth_images(rng, n, blobs, side=28):
    yy, xx = np.mgrid[0:side, 0:side]
    out = np.zeros((n, side, side))
    for i in range(n):
        for _ in range(blobs):
            cy, cx = rng.uniform(6, 22, 2)
            sy, sx = rng.uniform(2, 7, 2)
            a = rng.uniform(0.3, 1.0)
            out[i] += a * np.exp(-((yy - cy) ** 2 / (2 * sy**2) + (xx - cx) ** 2 / (2 * sx**2)))
    return out.reshape(n, -1)


class Generator:
    """Fixed structure (prototypes, variation directions, regression weights) from one seed."""

    def __init__(self, spread, seed=1234):
        rng = np.random.default_rng(seed)
        common = smooth_images(rng, 1, 8)[0]
        common /= common.max()
        specific = smooth_images(rng, 10, 5)
        specific /= specific.max(axis=1, keepdims=True)
        self.protos = 0.6 * common + 0.4 * specific
        basis = smooth_images(rng, 40, 2)
        basis -= basis.mean(axis=1, keepdims=True)
        basis /= np.linalg.norm(basis, axis=1, keepdims=True)
        self.basis = 6.0 * basis
        w = smooth_images(rng, 1, 6)[0] - smooth_images(rng, 1, 6)[0]
        self.w_reg = w / np.linalg.norm(w) * 20.0
        self.spread = spread

    def sample(self, n, seed):
        r = np.random.default_rng(seed)
        y = r.integers(0, 10, n)
        z = r.standard_normal((n, self.basis.shape[0])) * self.spread
        x = self.protos[y] * r.uniform(0.7, 1.3, (n, 1)) + z @ self.basis + 0.08 * r.standard_normal((n, 784))
        x = np.clip(x, 0, 1)
        x[x < 0.1] = 0
        x = (np.round(x * 255) / 255).astype(np.float32)
        y_reg = x.astype(np.float64) @ self.w_reg
        y_reg = y_reg + 0.3 * y_reg.std() * r.standard_normal(n)
        return x, y, y_reg


def write_libsvm(path, X, y, integer_labels):
    from sklearn.datasets import dump_svmlight_file

    dump_svmlight_file(X, y.astype(np.int64) if integer_labels else y, path, zero_based=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--train", type=int, default=10000)
    ap.add_argument("--test", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spread", type=float, default=0.12)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    gen = Generator(args.spread)
    Xtr, ctr, rtr = gen.sample(args.train, args.seed)
    Xte, cte, rte = gen.sample(args.test, args.seed + 1000)
    tasks = {
        "binary": ((ctr == 0).astype(np.float32), (cte == 0).astype(np.float32), True),
        "multiclass": (ctr.astype(np.float32), cte.astype(np.float32), True),
        "regression": (rtr.astype(np.float32), rte.astype(np.float32), False),
    }
    for task, (ytr, yte, integer) in tasks.items():
        for part, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
            np.save(os.path.join(args.outdir, f"{task}_X{part}.npy"), X)
            np.save(os.path.join(args.outdir, f"{task}_y{part}.npy"), y)
            write_libsvm(os.path.join(args.outdir, f"{task}_{part}.libsvm"), X, y, integer)
    print(json.dumps({"bench": "peers_data", "train": args.train, "test": args.test, "features": 784,
                      "zeros": float((Xtr == 0).mean()), "spread": args.spread, "seed": args.seed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
