#!/bin/bash
# The sweep end to end, through real mpirun: the same plan gives the same bits on 2, 3,
# 8 and 64 ranks (stand-in trainer) and on 1, 2, 3 and 8 ranks (tiny transformers); h5py
# and h5dump read every file; wide runs give the same bits as narrow ones; the timed
# stand-in on 64 workers keeps them busy; a SIGKILL of the whole mpirun mid-sweep followed
# by a restart, of rank 0 alone, or of one member of a wide run ends with every run exactly
# once and results identical to an uninterrupted sweep; another plan is refused, a bad plan leaves the results untouched; a diverged run
# is recorded and the sweep goes on; rank 0 does not spin.
#
#   test_sweep.sh BUILD_DIR DATA_DIR [--quick]     (--quick: no 64-rank runs)
set -u
build=$(cd "$1" && pwd)
data=$(cd "$2" && pwd)
quick=${3:-}
bin="$build/scalesweep"
source "$(dirname "$0")/lib.sh"

# ---- the stand-in trainer at scale ----
cat > synthetic.ini <<PLAN
[sweep]
trainer = synthetic
seeds = 3
output = synthetic.h5
[model]
params = 1e5, 1e6, 1e7, 1e8, 1e9
[train]
tokens = 1e6, 1e7, 1e8, 1e9, 1e10, 1e11
PLAN
for n in 3 2 8; do
    mkdir "r$n"
    (cd "r$n" && sweep "$n" ../synthetic.ini)
    check "synthetic sweep on $n ranks exits 0" test $? -eq 0
    check "synthetic sweep on $n ranks: h5py checks" valid "r$n/synthetic.h5" 90
done
check "synthetic: 2 ranks = 3 ranks, bit for bit" same r3/synthetic.h5 r2/synthetic.h5
check "synthetic: 8 ranks = 3 ranks, bit for bit" same r3/synthetic.h5 r8/synthetic.h5
if [ "$quick" != --quick ]; then
    mkdir r64
    (cd r64 && sweep 64 ../synthetic.ini)
    check "synthetic sweep on 64 ranks exits 0" test $? -eq 0
    check "synthetic: 64 ranks = 3 ranks, bit for bit" same r3/synthetic.h5 r64/synthetic.h5
    # the timed stand-in on jobs/joint_grid.ini's cost profile, 4 s of work per worker: the
    # schedule keeps at least half of 64 workers' time in runs (issue 13's target; the
    # batch allows 75.6%), measured as the runs' one-rank time over 64 x the wall time
    job="$tests/../jobs/joint_grid.ini"
    sed "/^\[sweep\]/a trainer = synthetic\noutput = timed.h5" "$job" > timed.ini
    total=$("$bin" timed.ini --dry-run | sed -n 's/^total: C = 6ND = \([0-9.e+]*\) FLOPs.*/\1/p')
    check "the dry run gives the plan's total cost" test -n "$total"
    fps=$(awk -v c="${total:-1}" 'BEGIN { printf "%.6g", c / (64 * 4) }')
    printf '\n[synthetic]\nflops_per_second = %s\n' "$fps" >> timed.ini
    mpirun --oversubscribe -n 65 "$bin" timed.ini --no-fit 2> timed.txt
    check "the timed stand-in on 64 workers exits 0" test $? -eq 0
    wall=$(sed -n 's/.* in [0-9hms]* (\([0-9.]*\) s).*/\1/p' timed.txt)
    check "the timed stand-in keeps >= 50% of 64 workers busy" "$python" -c "
import h5py
work = (h5py.File('timed.h5', 'r')['runs']['flops'] / $fps).sum()
efficiency = work / (64 * $wall)
print('efficiency', efficiency)
assert 0.5 <= efficiency <= 1.0, efficiency"
fi
check "h5dump reads the results" h5dump -H r3/synthetic.h5

# resume with nothing to do: skips everything, changes no row
cp r3/synthetic.h5 before.h5
(cd r3 && sweep 3 ../synthetic.ini)
check "a finished sweep run again exits 0" test $? -eq 0
check "a finished sweep run again changes nothing" same before.h5 r3/synthetic.h5

# another plan on the same output is refused, and the file is left as it was
sed 's/seeds = 3/seeds = 4/' synthetic.ini > other.ini
sum_before=$(md5sum < r3/synthetic.h5)
(cd r3 && sweep 2 ../other.ini 2> ../refused.txt)
check "another plan's file is refused with status 2" test $? -eq 2
check "the refusal says why" grep -q "plan" refused.txt
check "the refused file is unchanged" test "$sum_before" = "$(md5sum < r3/synthetic.h5)"
(cd r3 && sweep 2 ../other.ini --force)
check "--force extends the sweep" test "$(rows r3/synthetic.h5)" -eq 120

# a bad plan: status 2, one line naming file:line and key, results untouched
printf '[sweep]\ntrainer = synthetic\noutput = synthetic.h5\n[model]\nshapes = 2x64x3\n[train]\ntokens = 1e6\n' > bad.ini
(cd r3 && sweep 2 ../bad.ini 2> ../bad.txt)
check "a bad plan exits 2" test $? -eq 2
check "the error names file, line and key" grep -q "bad.ini:5: \[model\] shapes" bad.txt
check "a bad plan leaves the results untouched" test "$(rows r3/synthetic.h5)" -eq 120

# a diverged run is recorded as such and the sweep goes on
cat > diverge.ini <<PLAN
[sweep]
trainer = synthetic
output = diverge.h5
mode = list
[model]
n_ctx = 64
[train]
lr = 1.5
runs = 2x64x2@1e6, 2x128x2@1e6
PLAN
sweep 3 diverge.ini
check "a sweep with diverging runs exits 0" test $? -eq 0
check "diverged runs are recorded as diverged" /usr/bin/python3 -c "
import h5py; r = h5py.File('diverge.h5', 'r', libver='latest', swmr=True)['runs'][:]
assert len(r) == 2 and all(s == b'diverged' for s in r['status']), r['status']"

# ---- tiny transformers on the Brown corpus ----
cat > tiny.ini <<PLAN
[sweep]
output = tiny.h5
seeds = 2
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 1x32x2, 2x32x2, 1x64x2
n_ctx = 32
[train]
batch = 8
tokens = 8k, 16k
lr = 3e-3
PLAN
for n in 3 1 2 8; do
    mkdir "t$n"
    (cd "t$n" && sweep "$n" ../tiny.ini)
    check "transformer sweep on $n ranks exits 0" test $? -eq 0
done
check "transformer sweep: h5py checks" valid t3/tiny.h5 12
for n in 1 2 8; do
    check "transformers: $n ranks = 3 ranks, bit for bit" same t3/tiny.h5 "t$n/tiny.h5"
done
# the kernels: scalesweep corrects OpenBLAS's fallback on a CPU it does not know (blas_core.h)
"$bin" --version > version.txt
check "--version names the OpenBLAS core, how it was chosen and an sgemm rate" \
    grep -Eq "^OpenBLAS core [A-Za-z0-9_]+ \((chosen by OpenBLAS|OPENBLAS_CORETYPE (from the environment|set by scalesweep))\), sgemm 512\^3 on one thread [0-9.]+ GFLOP/s; OpenBLAS " version.txt
OPENBLAS_CORETYPE=Prescott "$bin" --version > prescott.txt 2>&1
check "an OPENBLAS_CORETYPE in the environment is kept, silently" \
    grep -qx "OpenBLAS core Prescott (OPENBLAS_CORETYPE from the environment), .*" <(sed -n 2p prescott.txt)
check "trained runs record a BLAS core that is no fallback for this CPU, unless the environment chose it" "$python" - t3/tiny.h5 <<'PY'
import os
import sys

import h5py

LEVELS = {"prescott": 0, "nehalem": 0, "core2": 0, "penryn": 0, "atom": 0, "sandybridge": 1,
          "bulldozer": 1, "piledriver": 1, "steamroller": 1, "excavator": 1, "haswell": 2,
          "zen": 2, "skylakex": 3, "cooperlake": 3, "sapphirerapids": 3}
flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
best = 3 if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags else \
    2 if {"avx2", "fma"} <= flags else 0
with h5py.File(sys.argv[1], "r") as f:
    cores = {c.decode() for c in f["runs"]["blas_core"]}
    root = f.attrs["blas_core"]
    root = root.decode() if isinstance(root, bytes) else root
assert len(cores) == 1 and root in cores, (cores, root)
core = cores.pop()
if "OPENBLAS_CORETYPE" in os.environ:
    print("OPENBLAS_CORETYPE is set: the environment chose", core)
else:
    assert LEVELS.get(core.lower(), -1) >= best, (core, best)
PY
check "transformers on 8 ranks: some runs trained wide" "$python" -c "
import h5py
assert h5py.File('t8/tiny.h5', 'r')['runs']['ranks'].max() > 1"

# ---- SIGKILL of the whole mpirun in the middle, then a restart ----
cat > kill.ini <<PLAN
[sweep]
output = kill.h5
seeds = 3
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 1x32x2, 2x32x2, 1x64x2, 2x64x2
n_ctx = 32
[train]
batch = 8
tokens = 24k
lr = 3e-3
PLAN
mkdir whole killed
(cd whole && sweep 3 ../kill.ini)
check "the uninterrupted sweep exits 0" test $? -eq 0
cd killed
setsid mpirun --oversubscribe -n 3 "$bin" ../kill.ini --quiet --no-fit > /dev/null 2>&1 &
leader=$!
for _ in $(seq 600); do
    [ "$(rows kill.h5)" -ge 3 ] && break
    sleep 0.05
done
# Open MPI gives each rank a process group of its own, but they stay in mpirun's session
pkill -KILL -s "$leader"
wait "$leader" 2> /dev/null
for _ in $(seq 100); do
    pgrep -s "$leader" > /dev/null || break
    sleep 0.05
done
check "SIGKILL ended every process of the sweep" test -z "$(pgrep -s "$leader")"
done_before=$(rows kill.h5)
check "the kill came mid-sweep ($done_before of 12 runs done)" test "$done_before" -ge 1 -a "$done_before" -lt 12
sweep 3 ../kill.ini 2> restart.txt
check "the restart exits 0" test $? -eq 0
check "the restart trained only what was missing" grep -q "$((12 - done_before)) ran now, $done_before were there" restart.txt
cd ..
check "after kill and restart: every run once, identical to the uninterrupted sweep" same whole/kill.h5 killed/kill.h5
check "after kill and restart: h5py checks" valid killed/kill.h5 12

# session_ends SESSION SECONDS: waits until no process of that session is left; 0 if none is
session_ends() {
    for _ in $(seq $(($2 * 20))); do
        pgrep -s "$1" > /dev/null || return 0
        sleep 0.05
    done
    return 1
}

# ---- SIGKILL of rank 0 alone: Open MPI ends the job; a restart completes it identically ----
rank_pid() { # RANK PATTERN: the pid of that MPI rank among processes matching PATTERN
    for p in $(pgrep -f "$2"); do
        tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$p"
    done
}
sed 's/^output = kill.h5/output = rank0.h5/' kill.ini > rank0.ini
mkdir rank0
cd rank0
setsid mpirun --oversubscribe -n 3 "$bin" ../rank0.ini --quiet --no-fit > /dev/null 2>&1 &
leader=$!
for _ in $(seq 600); do
    [ "$(rows rank0.h5)" -ge 2 ] && break
    sleep 0.05
done
kill -KILL "$(rank_pid 0 "$bin ../rank0.ini")"
# Open MPI aborts the other ranks; give it ten seconds
check "killing rank 0 ends the whole job" session_ends "$leader" 10
pkill -KILL -s "$leader" 2> /dev/null
wait "$leader" 2> /dev/null
sweep 3 ../rank0.ini
check "after rank 0 was killed, the restart exits 0" test $? -eq 0
cd ..
check "after rank 0 was killed: identical to the uninterrupted sweep" same whole/kill.h5 rank0/rank0.h5

# ---- SIGKILL of one member of a wide run: the job ends; the restart retries the run from
# its checkpoint and ends identically ----
cat > wide.ini <<PLAN
[sweep]
mode = list
output = wide.h5
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
n_ctx = 32
[train]
runs = 2x64x2 @ 800k
batch = 8
lr = 3e-3
checkpoint_seconds = 1
PLAN
mkdir wide_whole wide_killed
(cd wide_whole && sweep 3 ../wide.ini)
check "a lone run on 2 workers exits 0" test $? -eq 0
check "a lone run on 2 workers trains on both" "$python" -c "
import h5py
assert h5py.File('wide_whole/wide.h5', 'r')['runs']['ranks'][0] == 2"
cd wide_killed
setsid mpirun --oversubscribe -n 3 "$bin" ../wide.ini --quiet --no-fit > /dev/null 2>&1 &
leader=$!
for _ in $(seq 600); do
    ls wide.h5.checkpoints/*.ckpt > /dev/null 2>&1 && break
    sleep 0.05
done
check "the wide run wrote a checkpoint" ls wide.h5.checkpoints/*.ckpt
kill -KILL "$(rank_pid 2 "$bin ../wide.ini")" # rank 2: the member that does not lead
check "killing a member of a wide run ends the job (no hang)" session_ends "$leader" 15
pkill -KILL -s "$leader" 2> /dev/null
wait "$leader" 2> /dev/null
check "the killed job left no row" test "$(rows wide.h5)" -eq 0
check "the killed job left the run's checkpoint for the restart" ls wide.h5.checkpoints/*.ckpt
sweep 3 ../wide.ini 2> restart.txt
check "the restart after a killed member exits 0" test $? -eq 0
cd ..
check "after a killed member: the run retried from its checkpoint, identical" same wide_whole/wide.h5 wide_killed/wide.h5

# ---- SIGUSR1 (twice) mid-sweep: checkpoint, exit 75, continue to identical results ----
sed 's/^output = kill.h5/output = usr1.h5/; s/^lr = 3e-3/lr = 3e-3\ncheckpoint_seconds = 0/' kill.ini > usr1.ini
mkdir usr1
cd usr1
mpirun --oversubscribe -n 3 "$bin" ../usr1.ini --quiet --no-fit 2> usr1.txt &
job=$!
for _ in $(seq 600); do
    [ "$(rows usr1.h5)" -ge 2 ] && break
    sleep 0.05
done
kill -USR1 "$job"
sleep 0.05
kill -USR1 "$job" 2> /dev/null # a second signal during the shutdown is handled too
wait "$job"
code=$?
cd ..
check "SIGUSR1 mid-sweep exits 75 (interrupted, requeue)" test "$code" -eq 75
check "the interrupted runs were checkpointed" ls usr1/usr1.h5.checkpoints/*.ckpt
check "they are reported as interrupted" grep -q "interrupted .* at step" usr1/usr1.txt
check "the interrupted sweep is incomplete ($(rows usr1/usr1.h5) of 12)" test "$(rows usr1/usr1.h5)" -lt 12
(cd usr1 && sweep 3 ../usr1.ini)
check "the continued sweep exits 0" test $? -eq 0
check "after SIGUSR1 and a restart: identical to the uninterrupted sweep" same whole/kill.h5 usr1/usr1.h5
check "the checkpoint folder is gone once the sweep is complete" test ! -e usr1/usr1.h5.checkpoints

# ---- a run that crashes its worker twice is failed, not retried ----
cat > crash.ini <<PLAN
[sweep]
output = crash.h5
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 2x128x4
n_ctx = 64
[train]
batch = 16
tokens = 2M
checkpoint_seconds = 0
PLAN
for attempt in 1 2; do
    mpirun --oversubscribe -n 2 "$bin" crash.ini --quiet --no-fit > /dev/null 2>&1 &
    job=$!
    victim=""
    for _ in $(seq 200); do
        victim=$(rank_pid 1 "$bin crash.ini")
        [ -n "$victim" ] && break
        sleep 0.05
    done
    sleep 1
    kill -SEGV $victim 2> /dev/null # as a bug in the worker would
    wait "$job"
    check "crash $attempt: the crashed worker ends the job ($?) without a row" test "$(rows crash.h5)" -eq 0
done
mpirun --oversubscribe -n 2 "$bin" crash.ini --quiet --no-fit 2> crash.txt
check "after two crashes the run is recorded as failed (exit $?)" /usr/bin/python3 -c "
import h5py; r = h5py.File('crash.h5', 'r', libver='latest', swmr=True)['runs'][:]
assert len(r) == 1 and r['status'][0] == b'failed' and b'crashed its worker 2 times' in r['reason'][0], r"

# ---- rank 0 waits without spinning ----
cat > idle.ini <<PLAN
[sweep]
output = idle.h5
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 2x64x2
n_ctx = 64
[train]
batch = 16
tokens = 150k
PLAN
mpirun --oversubscribe -n 2 "$bin" idle.ini --no-fit 2> idle.txt
share=$(sed -n 's/.*rank 0 used .*(\([0-9.]*\)% of a core).*/\1/p' idle.txt)
echo "rank 0 used ${share:-?}% of a core while one worker trained"
check "rank 0 does not spin while it waits (${share:-?}% of a core)" \
    awk -v s="${share:-100}" 'BEGIN { exit !(s < 20) }'

report test_sweep
