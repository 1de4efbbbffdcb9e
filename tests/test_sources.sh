#!/bin/bash
# Sources and mixtures end to end, as a user meets them: a stand-in sweep whose sources
# follow known laws of their own (synthetic.h), fitted per mixture and per source and
# recovered; the errors of a fit that asks for what the file lacks; the transfer law; the
# report of one mixture; and a real transformer sweep on two sources whose file h5py reads
# (each run's loss the shares of its sources' losses), ending in a fit and a report per
# mixture.
#   test_sources.sh BUILD_DIR
set -u
bin=$1/scalesweep
. "$(dirname "$0")/lib.sh"

# ---- the stand-in: per-source laws recovered ----
cat > synth.ini <<'INI'
[sweep]
trainer = synthetic
seeds = 2
[data]
sources = a, b, c
mixtures = a, a:1 + b:1
[model]
params = 1e6, 4e6, 16e6, 64e6, 256e6, 1e9
[train]
tokens = 1e8, 1e9, 1e10, 1e11, 1e12
[fit]
bootstrap = 40
INI
check "a stand-in sweep of 2 mixtures on 3 sources" sweep 2 synth.ini
check "its file: h5py reads every source table, each run's loss is its mixture's shares" valid synth.h5 120
"$bin" fit synth.h5 --no-write > several.txt 2> several.err
check "a fit of runs of two mixtures without --mixture exits 2" test $? -eq 2
check "... and names them" grep -q "holds runs of 2 mixtures (a and a:0.5 + b:0.5); a law holds for one training distribution: fit one with --mixture" several.err
"$bin" fit synth.h5 --no-write --mixture q > /dev/null 2> mixture.err
check "an unknown mixture exits 2 and lists the mixtures" \
    grep -q "no run of mixture 'q'; its mixtures are a and a:0.5 + b:0.5" mixture.err
"$bin" fit synth.h5 --no-write --mixture a --source zzz > /dev/null 2> source.err
check "an unknown source exits 2 and lists the sources" \
    grep -q "no source 'zzz'; its sources are a, b and c" source.err
# the truth: source j's E_j = 1.69 + 0.1 j, plus 0.2 x (1 - its share); alpha and beta
# scaled by (1, 0.85, 1.15, 0.7) and (1, 1.1, 0.9, 1.2)
while IFS='|' read -r mixture source e alpha beta; do
    "$bin" fit synth.h5 --no-write --mixture "$mixture" --source "$source" --laws chinchilla \
        --json > "fit_$source.json" 2> /dev/null
    check "mixture $mixture, loss on $source: Chinchilla recovers E $e, alpha $alpha, beta $beta" \
        "$python" - "fit_$source.json" "$e" "$alpha" "$beta" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
q = r["laws"]["chinchilla"]["quantities"]
for name, truth, tolerance in (("E", float(sys.argv[2]), 0.04), ("alpha", float(sys.argv[3]), 0.03),
                               ("beta", float(sys.argv[4]), 0.03)):
    got = q[name]["value"]
    assert abs(got - truth) <= tolerance * max(1, truth), (name, got, truth)
    assert q[name]["lower"] <= truth + tolerance and q[name]["upper"] >= truth - tolerance, (name, q[name])
print("ok")
PY
done <<'CASES'
a|a|1.69|0.34|0.28
a|b|1.99|0.289|0.308
a|c|2.09|0.391|0.252
a:0.5 + b:0.5|a|1.79|0.34|0.28
a:0.5 + b:0.5|b|1.89|0.289|0.308
CASES
# the exponents differ between sources by more than their intervals
check "source c's alpha is above source b's, their intervals apart" "$python" - <<'PY'
import json
def alpha(path):
    return json.load(open(path))["laws"]["chinchilla"]["quantities"]["alpha"]
b, c = alpha("fit_b.json"), alpha("fit_c.json")
assert c["lower"] > b["upper"], (b, c)
PY
# the transfer law: on mixture a, source a's loss is the runs' own (slope 1, offset 0)
"$bin" fit synth.h5 --no-write --mixture a --laws n --bootstrap 40 > transfer.txt
check "the fit prints the transfer law of each source" grep -q "^Transfer (Kaplan et al. 2020, Figure 8)" transfer.txt
check "source a, the runs' own: slope 1, offset 0, R^2 1" \
    grep -Eq "^  a +60 +1\.0000 \[1\.0000, 1\.0000\] +[+-]0\.0000 \[[+-]0\.0000, [+-]0\.0000\] +1\.0000" transfer.txt
check "sources b and c: a line with an interval" grep -Eq "^  c +60 +[0-9.]+ \[[0-9.]+, [0-9.]+\]" transfer.txt
"$bin" fit synth.h5 --no-write --mixture a --laws n --bootstrap 40 --json > transfer.json
check "the JSON has the transfer law of each source, its interval in the table's" "$python" - <<'PY'
import json
t = {x["source"]: x for x in json.load(open("transfer.json"))["transfer"]}
assert sorted(t) == ["a", "b", "c"] and t["a"]["slope"] == 1 and t["a"]["runs"] == 60, t
assert t["c"]["slope_lower"] < t["c"]["slope"] < t["c"]["slope_upper"] and t["c"]["resamples"] == 40, t["c"]
PY
"$bin" fit synth.h5 --mixture a --laws n --bootstrap 40 --quiet
check "/fits/transfer holds a row per source, as the JSON" "$python" - <<'PY'
import json
import h5py
with h5py.File("synth.h5", "r") as f:
    rows = f["fits/transfer"][:]
    assert f["fits"].attrs["selection"] == "mixture a", f["fits"].attrs["selection"]
want = {x["source"]: x for x in json.load(open("transfer.json"))["transfer"]}
assert [r["source"].decode() for r in rows] == ["a", "b", "c"]
for r in rows:
    w = want[r["source"].decode()]
    assert r["runs"] == w["runs"] and abs(r["slope"] - w["slope"]) < 1e-12, (r, w)
PY
# a report of one mixture, into its own folder, with the transfer figure
"$bin" report synth.h5 --mixture 'a:0.5 + b:0.5' --bootstrap 20 --quiet
check "report --mixture writes RESULTS.h5.report-MIXTURE" test -f "synth.h5.report-a_0.5_b_0.5/index.html"
check "... with the transfer figure and table, and the runs' mixtures" \
    "$python" "$tests/check_report.py" "synth.h5.report-a_0.5_b_0.5" loss_n,loss_d,transfer
check "... whose page names the selection and the transfer law" \
    grep -q 'Of mixture a:0.5 + b:0.5' "synth.h5.report-a_0.5_b_0.5/index.html"
"$bin" fit synth.h5 --mixture a --source b --bootstrap 0 --laws n --quiet
check "fit --mixture --source writes /fits with its selection" "$python" -c "
import h5py
with h5py.File('synth.h5', 'r') as f:
    assert f['fits'].attrs['selection'] == 'mixture a; loss on b', f['fits'].attrs['selection']"

# ---- the transformer on two sources: the file, the closing fits and reports ----
cp -r "$tests/plans/tiny_sources" .
cat > tiny.ini <<'INI'
[sweep]
seeds = 2
[data]
corpus = tiny_sources
sources = alpha, beta
mixtures = alpha, alpha:1 + beta:3
eval_tokens = 512
allow_epochs = true
[model]
shapes = 1x32x1, 2x32x2, 2x64x2
n_ctx = 32
[train]
tokens = 16k
batch = 4
lr = 3e-3
[fit]
bootstrap = 20
INI
OMPI_ALLOW_RUN_AS_ROOT=1 mpirun --oversubscribe -n 3 "$bin" tiny.ini > tiny.out 2> tiny.err
check "a transformer sweep of 2 mixtures on 2 sources ends 0" test $? -eq 0
check "its file: every source of every run, the run's loss the shares of its sources'" valid tiny.h5 12
check "the closing fit fits each mixture and says so" grep -q "^Trained on alpha:$" tiny.out
check "... the other one too" grep -q "^Trained on alpha:0.25 + beta:0.75:" tiny.out
check "... and writes a report of each" test -f tiny.h5.report-alpha/index.html -a -f "tiny.h5.report-alpha_0.25_beta_0.75/index.html"
check "... and leaves /fits to fit --mixture" "$python" -c "
import h5py
assert 'fits' not in h5py.File('tiny.h5', 'r')"
check "a run on alpha alone learns alpha better than beta; the mixture's learns beta better" "$python" - <<'PY'
import h5py, numpy as np
with h5py.File("tiny.h5", "r") as f:
    runs, losses = f["runs"][:], f["source_losses"][:]
S = 2
final = losses["final_loss"].reshape(len(runs), S)
alone = final[runs["mixture"] == b"alpha"]
mixed = final[runs["mixture"] == b"alpha:0.25 + beta:0.75"]
assert alone[:, 0].mean() < mixed[:, 0].mean() and mixed[:, 1].mean() < alone[:, 1].mean(), (alone, mixed)
PY
report test_sources
