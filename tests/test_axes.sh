#!/bin/bash
# Hyperparameters as axes of a sweep, end to end: a stand-in whose loss has a known optimum
# lr_opt(N) = 3e-3 (N/1e6)^-0.3 and batch_opt(C) = 16 (C/1e15)^0.3 (synthetic.h), swept over
# lr and batch; the file keeps each run's values and its cell; the fit's envelope takes each
# cell's best configuration, and lr_opt(N) and batch_opt(C) are recovered with intervals,
# as is Chinchilla's law through the envelope.
#   test_axes.sh BUILD_DIR
set -u
bin=$1/scalesweep
. "$(dirname "$0")/lib.sh"

cat > axes.ini <<'INI'
[sweep]
mode = grid
seeds = 2
trainer = synthetic
report = no
[model]
shapes = 2x64x2, 4x128x4, 8x256x8, 12x512x8, 16x768x12
[train]
tokens = 1M, 4M, 16M
lr = 3e-4, 6e-4, 1.2e-3, 2.4e-3, 4.8e-3, 9.6e-3, 1.92e-2, 3.84e-2
batch = 2, 4, 8, 16, 32, 64
[synthetic]
lr_optimum = 3e-3
batch_optimum = 16
[fit]
laws = chinchilla, n
bootstrap = 200
INI
"$bin" axes.ini --dry-run > dry.txt
check "the dry run names the axes" grep -q "hyperparameter axes: lr (8 values), batch (6 values)" dry.txt
check "a stand-in sweep of 5 shapes x 3 D x 8 lr x 6 batch x 2 seeds" sweep 2 axes.ini
check "its file: h5py reads it, and each cell's runs share shape and data" valid axes.h5 1440
"$bin" fit axes.h5 --json > fit.json 2> fit.err
check "the fit succeeds" test $? -eq 0
check "... and writes /fits/envelope" "$python" - <<'PY'
import h5py, numpy as np
with h5py.File("axes.h5") as f:
    runs = f["runs"][:]
    env = f["fits/envelope"][:]
    assert len(env) == 15 and (env["configurations"] == 48).all(), env
    # each run keeps its values: the 8 lrs and 6 batches, every pair twice per cell
    assert sorted(set(np.round(runs["lr"], 7))) == sorted(np.round(
        [3e-4, 6e-4, 1.2e-3, 2.4e-3, 4.8e-3, 9.6e-3, 1.92e-2, 3.84e-2], 7).astype(np.float32))
    assert sorted(set(runs["batch"])) == [2, 4, 8, 16, 32, 64]
    assert len(set(runs["cell_id"])) == 15 and len(set(runs["config_id"])) == 720
PY
check "the envelope takes, in every cell, the configuration of lowest mean loss" "$python" - <<'PY'
import h5py, numpy as np, pandas as pd
with h5py.File("axes.h5") as f:
    runs = pd.DataFrame({k: f["runs"][k] for k in ("cell_id", "config_id", "lr", "batch",
                                                     "final_test_loss", "n_params")})
    env = f["fits/envelope"][:]
means = runs.groupby(["cell_id", "config_id"]).final_test_loss.mean().reset_index()
best = means.loc[means.groupby("cell_id").final_test_loss.idxmin()].set_index("cell_id")
for row in env:
    chosen = best.loc[row["cell_id"]]
    assert chosen.config_id == row["config_id"], (row, chosen)
    assert abs(chosen.final_test_loss - row["loss"]) < 1e-6 * row["loss"], (row, chosen)
    # and its lr is one of the two grid values (a factor of 2 apart) around the truth
    truth = 3e-3 * (row["N"] / 1e6) ** -0.3
    assert abs(np.log(row["lr"] / truth)) < np.log(2), (row, truth)
PY
check "lr_opt(N) = k N^p is recovered: p = -0.3 within its interval and 0.02, k = 0.189" \
    "$python" - <<'PY'
import json
law = json.load(open("fit.json"))["laws"]["lr_opt"]["quantities"]
p, k = law["p"], law["k"]
assert p["lower"] <= -0.3 <= p["upper"] and abs(p["value"] + 0.3) < 0.02, p
truth = 3e-3 * 1e6 ** 0.3
assert k["lower"] <= truth <= k["upper"] and abs(k["value"] / truth - 1) < 0.2, (k, truth)
PY
check "batch_opt(C) = k C^p is recovered: p = 0.3 within its interval and 0.02" "$python" - <<'PY'
import json
law = json.load(open("fit.json"))["laws"]["batch_opt"]["quantities"]
p, k = law["p"], law["k"]
assert p["lower"] <= 0.3 <= p["upper"] and abs(p["value"] - 0.3) < 0.02, p
truth = 16 * 1e-15 ** 0.3
assert k["lower"] <= truth <= k["upper"], (k, truth)
PY
check "Chinchilla's law through the envelope: alpha 0.34, beta 0.28 within 0.03" "$python" - <<'PY'
import json
law = {k: q["value"] for k, q in json.load(open("fit.json"))["laws"]["chinchilla"]["quantities"].items()}
assert abs(law["alpha"] - 0.34) < 0.03 and abs(law["beta"] - 0.28) < 0.03, law
PY
"$bin" report axes.h5 -o axes.report > /dev/null 2>&1
check "the report draws the lr figure and shows it on its page" \
    bash -c 'test -s axes.report/lr.png && test -s axes.report/lr.svg && grep -q "lr.png" axes.report/index.html'
# without the stand-in's tuning, lr and batch change nothing: every configuration of a cell is
# the law, and the envelope picks by noise alone; one value each: no envelope at all
sed -e '/^lr_optimum/d' -e '/^batch_optimum/d' -e 's/^lr = .*/lr = 1e-3/' -e 's/^batch = .*/batch = 16/' \
    axes.ini > plain.ini
check "the same sweep with one lr and one batch" sweep 2 plain.ini
"$bin" fit plain.h5 --json > plain.json 2>/dev/null
check "... has no envelope and no optimum laws" "$python" - <<'PY'
import json
d = json.load(open("plain.json"))
assert d["envelope"] == [], d["envelope"][:1]
assert d["laws"]["lr_opt"]["status"] == "skipped" and d["laws"]["batch_opt"]["status"] == "skipped"
PY
"$bin" report plain.h5 -o plain.report > /dev/null 2>&1
check "... and its report leaves the lr figure out" test ! -e plain.report/lr.png
report test_axes
