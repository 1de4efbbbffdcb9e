#!/bin/bash
# Architectures end to end, as a user meets them: a real sweep of transformers and LSTMs
# (plans/tiny_sources/sources/alpha), whose file h5py reads with each run's architecture and exact
# N, fitted per architecture at its end with a report of each; `scalesweep fit` refuses the
# two together and fits one with --architecture; a sweep killed mid-run and restarted gives
# the same bits as one never stopped (checkpoints of both architectures); a stand-in
# sweep's run ids: a transformer's are those of a plan without [model] architecture.
#   test_architectures.sh BUILD_DIR
set -u
bin=$1/scalesweep
. "$(dirname "$0")/lib.sh"

cp -r "$tests/plans/tiny_sources" .
cat > both.ini <<'INI'
[sweep]
seeds = 2
[data]
corpus = tiny_sources/sources/alpha
eval_tokens = 512
allow_epochs = true
[model]
architecture = transformer, lstm
shapes = 1x32x1, 2x32x2, 2x64x2, 1x32, 2x32, 2x64
n_ctx = 32
[train]
tokens = 16k
batch = 4
lr = 3e-3
[fit]
bootstrap = 20
laws = n
INI
mpirun --oversubscribe -n 3 "$bin" both.ini > both.out 2> both.err
check "a sweep of transformers and LSTMs ends 0" test $? -eq 0
check "its file: h5py reads it, each run's N its architecture's count" valid both.h5 12
check "the closing fit fits each architecture and says so" grep -q "^The transformer runs:$" both.out
check "... the LSTMs too" grep -q "^The lstm runs:$" both.out
check "... and writes a report of each" \
    test -f both.h5.report-transformer/index.html -a -f both.h5.report-lstm/index.html
check "... then compares them: the ratio along L(N) and where the laws cross" \
    grep -q "^  L_N: L_lstm / L_transformer at equal N along the fitted laws" both.out
check "the LSTMs learn: every one from ln 256 = 5.55 to well below 3 nats" "$python" - <<'PY'
import h5py
with h5py.File("both.h5", "r") as f:
    runs = f["runs"][:]
lstm = runs[runs["architecture"] == b"lstm"]
assert len(lstm) == 6 and all(lstm["n_head"] == 0), lstm["n_head"]
assert all(lstm["status"] == b"ok"), lstm["status"]
assert max(lstm["final_test_loss"]) < 2.8, lstm["final_test_loss"]
PY
check "/position_losses: each run's loss by token index, an LSTM's falling with context" "$python" - <<'PY'
import h5py, numpy as np
with h5py.File("both.h5", "r") as f:
    runs, positions = f["runs"][:], f["position_losses"][:]
assert list(positions["run_id"]) == list(runs["run_id"])
loss = positions["loss"]
assert loss.shape == (12, 256) and np.all(np.isnan(loss[:, 32:])), loss.shape
assert np.all(np.isfinite(loss[:, :32]))
# an LSTM starts every window from h = c = 0: its first byte, without context, is far worse
# than the window's second half (these short transformer runs barely use the context yet)
lstm = loss[runs["architecture"] == b"lstm"][:, :32]
assert lstm[:, 0].mean() > lstm[:, 16:].mean() + 0.5, (lstm[:, 0], lstm[:, 16:].mean())
PY
"$bin" fit both.h5 > mixed.txt 2> mixed.err
check "a fit of both architectures without --architecture fits each" \
    grep -q "^The lstm runs:" mixed.txt
check "... compares them" grep -q "^Architectures compared, lstm against transformer" mixed.txt
check "... and leaves /fits to fit --architecture" grep -q "left to .scalesweep fit both.h5 --architecture A" mixed.err
"$bin" report both.h5 > /dev/null 2> report.err
check "a report of both without --architecture exits 2 and names them" \
    grep -q "holds runs of 2 architectures (transformer and lstm); each has its own laws: fit one with --architecture" report.err
"$bin" fit both.h5 --no-write --architecture rnn > /dev/null 2> rnn.err
check "an unknown architecture exits 2 and lists the file's" \
    grep -q "no run of architecture 'rnn'; its architectures are transformer and lstm" rnn.err
"$bin" fit both.h5 --no-write --architecture lstm --laws n > lstm.txt 2>&1
check "fit --architecture lstm fits its 6 runs" grep -q "6 runs, 6 used" lstm.txt

# killed mid-sweep (after the first results) and restarted: the same bits
sed 's/^\[sweep\]/[sweep]\noutput = again.h5\nreport = no/' both.ini > again.ini
mpirun --oversubscribe -n 3 "$bin" again.ini --quiet --no-fit > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ "$(rows again.h5)" -ge 1 ] && break
    sleep 0.05
done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
# mpirun's ranks outlive it a moment (longer under the sanitizers) and hold the lock
pkill -9 -f "scalesweep again.ini" 2> /dev/null
for _ in $(seq 1 100); do
    pgrep -f "scalesweep again.ini" > /dev/null || break
    sleep 0.1
done
check "the killed sweep left some runs, not all" test "$(rows again.h5)" -gt 0 -a "$(rows again.h5)" -lt 12
sweep 3 again.ini > /dev/null 2>&1
check "the restarted sweep ends 0" test $? -eq 0
check "... with every run once and the bits of the uninterrupted sweep" same both.h5 again.h5

# run ids: a transformer's do not change with [model] architecture
"$bin" --dry-run both.ini > both.dry
sed 's/^architecture = .*//; s/, 1x32, 2x32, 2x64$//' both.ini > alone.ini
"$bin" --dry-run alone.ini > alone.dry
check "a transformer's run id is that of a plan without architectures" "$python" - <<'PY'
import re
def ids(name, arch=None):
    out = {}
    for line in open(name):
        m = re.match(r"\s+\d+\s+([0-9a-f]{16})\s+(?:(transformer|lstm)\s+)?(\S+)\s", line)
        if m:
            out.setdefault(m.group(2) or "transformer", []).append(m.group(1))
    return out
both, alone = ids("both.dry"), ids("alone.dry")
assert both["transformer"] == alone["transformer"] and len(both["lstm"]) == 6, (both, alone)
assert not set(both["lstm"]) & set(both["transformer"])
PY
report test_architectures
