#!/usr/bin/python3
"""The scipy reference of Chinchilla's fit (Hoffmann et al. 2022, Approach 3), the way
Besiroglu et al. (2024) replicated it: minimise

    sum_i huber_delta( LSE(a - alpha ln N_i, b - beta ln D_i, e) - ln L_i )

(delta = 1e-3, summed) with scipy's L-BFGS-B from every point of the grid
alpha, beta in {0, 0.5, .., 2}, e in {-1, -0.5, .., 1}, a, b in {0, 5, .., 25}, keeping
the best. The grid is enumerated in the same order as src/fit/fit_chinchilla.c, so
--stride k runs the same subset of starts as the C fit with grid_stride k.

    tests/fit_reference.py DATA.csv [--stride K] [--delta 1e-3] [--gradient analytic|numeric]

DATA.csv has a header and columns N, D, loss (others ignored). Prints one JSON object:
the best (a, b, e, alpha, beta), E, A, B, the objective, the number of starts, seconds.
--gradient numeric lets scipy difference the objective itself, as the replication did
(about six times slower); analytic (default) passes the same gradient as the C fit.
Needs Debian's python3-numpy and python3-scipy only.
"""
import argparse
import csv
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no rows")
    keys = {k.strip().lower(): k for k in rows[0]}
    for need in ("n", "d", "loss"):
        if need not in keys:
            sys.exit(f"{path}: no column {need}")
    n = np.array([float(r[keys["n"]]) for r in rows])
    d = np.array([float(r[keys["d"]]) for r in rows])
    loss = np.array([float(r[keys["loss"]]) for r in rows])
    return n, d, loss


def grid(stride):
    # index = alpha_i + 5 (beta_i + 5 (e_i + 5 (a_i + 6 b_i))), as grid_point() in C
    points = []
    for index in range(0, 4500, stride):
        i = index
        alpha_i = i % 5; i //= 5
        beta_i = i % 5; i //= 5
        e_i = i % 5; i //= 5
        a_i = i % 6; i //= 6
        b_i = i
        points.append([5.0 * a_i, 5.0 * b_i, -1.0 + 0.5 * e_i, 0.5 * alpha_i, 0.5 * beta_i])
    return points


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--delta", type=float, default=1e-3)
    parser.add_argument("--gradient", choices=("analytic", "numeric"), default="analytic")
    args = parser.parse_args()
    n, d, loss = load(args.data)
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(loss)

    def objective(p):
        a, b, e, alpha, beta = p
        predicted = logsumexp([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)],
                              axis=0)
        return np.sum(huber(args.delta, predicted - log_loss))

    def gradient(p):
        # Analytic, as the C fit uses; scipy's default finite differences would make
        # the comparison one of gradients rather than of optima.
        a, b, e, alpha, beta = p
        u = a - alpha * log_n
        v = b - beta * log_d
        m = np.maximum(np.maximum(u, v), e)
        eu, ev, ee = np.exp(u - m), np.exp(v - m), np.exp(e - m)
        s = eu + ev + ee
        r = m + np.log(s) - log_loss
        slope = np.clip(r, -args.delta, args.delta)
        q = slope / s
        return np.array([np.sum(q * eu), np.sum(q * ev), np.sum(q * ee),
                         -np.sum(q * eu * log_n), -np.sum(q * ev * log_d)])

    start = time.time()
    best = None
    starts = grid(args.stride)
    for p0 in starts:
        jac = gradient if args.gradient == "analytic" else None
        result = minimize(objective, p0, jac=jac, method="L-BFGS-B")
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    seconds = time.time() - start
    a, b, e, alpha, beta = (float(v) for v in best.x)
    print(json.dumps({
        "a": a, "b": b, "e": e, "alpha": alpha, "beta": beta,
        "A": float(np.exp(a)), "B": float(np.exp(b)), "E": float(np.exp(e)),
        "objective": float(best.fun), "starts": len(starts), "points": int(len(n)),
        "seconds": seconds, "gradient": args.gradient,
    }))


if __name__ == "__main__":
    main()
