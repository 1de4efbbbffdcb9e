#!/usr/bin/python3
"""Downstream analysis as a user writes it: a sweep's results into pandas, one law drawn.

    /usr/bin/python3 examples/law_of_n.py RESULTS.h5 [OUT.png]

Reads /runs and /curves with h5py into pandas DataFrames, takes each model size's runs at
the largest D it was trained on (what the fit's L(N) uses), and draws their final test
loss against N on log-log axes with matplotlib, beside the fitted L(N) = (N_c/N)^alpha
from /fits when the file has it; the training curves of those runs go in a second panel,
against compute. Prints the law and where the figure went. Needs Debian's python3-h5py,
python3-pandas and python3-matplotlib (setup.sh installs them)."""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # a file, no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def read(path):
    """/runs and /curves as DataFrames, strings decoded; the L(N) quantities or None."""
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        runs = pd.DataFrame(f["runs"][:])
        curves = pd.DataFrame(f["curves"][:])
        law = None
        if "fits/L_N" in f and f["fits/L_N"].attrs["status"] == "ok":
            q = {row["name"].decode(): row for row in f["fits/L_N/quantities"][:]}
            law = {name: (q[name]["value"], q[name]["lower"], q[name]["upper"])
                   for name in ("alpha", "N_c")}
    for frame, columns in ((runs, ["run_id", "status"]), (curves, ["run_id"])):
        for column in columns:
            frame[column] = frame[column].str.decode("utf-8")
    return runs, curves, law


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else "law_of_n.png"
    runs, curves, law = read(path)
    ok = runs[runs["status"] == "ok"]
    # each N at the largest D it was trained on, every seed
    largest = ok.groupby("n_params")["tokens"].transform("max")
    used = ok[ok["tokens"] == largest]
    if used["n_params"].nunique() < 2:
        sys.exit(f"{path}: fewer than two model sizes with an ok run: no L(N) to draw")
    means = used.groupby("n_params")["final_test_loss"].mean()

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    left.scatter(used["n_params"], used["final_test_loss"], s=14, alpha=0.6, label="runs")
    left.plot(means.index, means.values, "o", color="black", ms=4, label="mean over seeds")
    if law:
        alpha, n_c = law["alpha"][0], law["N_c"][0]
        n = np.geomspace(means.index.min(), means.index.max(), 100)
        left.plot(n, (n_c / n) ** alpha, color="C3",
                  label=f"L(N) = (N_c/N)^{alpha:.3f}")
    left.set(xscale="log", yscale="log", xlabel="N (non-embedding parameters)",
             ylabel="test loss (nats/token)", title="L(N) at each N's largest D")
    left.legend(fontsize=8)

    # their training curves against compute
    points = curves.merge(used[["run_id", "n_params"]], on="run_id")
    norm = matplotlib.colors.LogNorm(means.index.min(), means.index.max())
    for n_params, group in points.groupby("n_params"):
        for _, run in group.groupby("run_id"):
            right.plot(run["flops"], run["test_loss"], lw=0.8, color=plt.cm.viridis(norm(n_params)))
    fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=right, label="N")
    right.set(xscale="log", yscale="log", xlabel="C (FLOPs, 6ND)",
              ylabel="test loss (nats/token)", title="their training curves")
    fig.tight_layout()
    fig.savefig(out)

    print(f"{path}: {len(used)} runs at {used['n_params'].nunique()} model sizes")
    if law:
        (a, a_lo, a_hi), (nc, nc_lo, nc_hi) = law["alpha"], law["N_c"]
        print(f"L(N) = (N_c/N)^alpha: alpha = {a:.6g} [{a_lo:.4g}, {a_hi:.4g}], "
              f"N_c = {nc:.6g} [{nc_lo:.4g}, {nc_hi:.4g}]")
    else:
        print("no fitted L(N) in the file (run scalesweep fit); the runs only")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
