#!/bin/bash
# The Slurm scripts against a real single-node Slurm (tests/slurm/start.sh):
#   - slurm/scalesweep.sbatch's own logic, with a stand-in binary (fake_scalesweep.sh):
#     SIGUSR1 or SIGTERM to the batch shell reaches every task as SIGUSR1; status 75
#     requeues the job, which then completes; other statuses fail it without a requeue;
#     the warning before the time limit (--signal=B:USR1@...) arrives and requeues;
#   - real sweeps: a stand-in sweep and a tiny transformer sweep submitted with sbatch
#     equal a direct mpirun of the same plan, bit for bit, and so does a lone run trained
#     on both workers at once (a wide run under srun); SIGUSR1 mid-sweep to the batch
#     shell leads to checkpoints, a requeue and a complete, identical result, with srun
#     and with mpirun as the launcher; scancel mid-sweep ends the job (no requeue) and a
#     new submission completes it, identical; a chain of two jobs
#     (slurm/scalesweep-chain.sh) whose first gets SIGUSR1 on its tasks is completed by
#     the second, identical.
#
#   test_slurm.sh BUILD_DIR DATA_DIR
#
# Starts Slurm if it is not up (as root; exit 77, skipped, when it cannot) and stops it
# again at the end if it started it. About two minutes on 2 cores. TEST_SLURM_TIMES=1
# prints the seconds elapsed before each check.
set -u
build=$(cd "$1" && pwd)
data=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="$build/scalesweep"
batch="$repo/slurm/scalesweep.sbatch"
chain="$repo/slurm/scalesweep-chain.sh"
fake="$here/fake_scalesweep.sh"
export SCALESWEEP_SLURM_DIR=${SCALESWEEP_SLURM_DIR:-/tmp/scalesweep-slurm}
export SLURM_CONF=$SCALESWEEP_SLURM_DIR/slurm.conf

# ---- Slurm up ----
started=
# (without its slurm.conf, scontrol would look for a controller through DNS first)
if [ ! -e "$SLURM_CONF" ] || ! scontrol ping > /dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test_slurm: skipped: Slurm is not up and starting it needs root"
        exit 77
    fi
    started=yes
fi
if ! "$here/start.sh" > /dev/null; then
    echo "test_slurm: tests/slurm/start.sh failed"
    echo "test_slurm: 0 passed, 1 failed"
    exit 1
fi

# Jobs run as root on this machine, in the folder they were submitted from.
tmp=$(mktemp -d /tmp/test_slurm.XXXXXX)
cleanup() {
    local jobs
    mapfile -t jobs < <(tr ' ' '\n' < "$tmp/jobs" 2> /dev/null)
    if [ "${#jobs[@]}" -gt 0 ]; then
        scancel --full --signal=KILL "${jobs[@]}" 2> /dev/null
        scancel "${jobs[@]}" 2> /dev/null
    fi
    [ -n "$started" ] && "$here/stop.sh" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

# What the jobs inherit (sbatch exports the submitting environment): one BLAS thread,
# shared memory only, no network; the binary the batch script runs.
export OPENBLAS_NUM_THREADS=1 OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export SCALESWEEP_BIN=$bin

passed=0
failed=0
check() {
    local what=$1
    shift
    [ -n "${TEST_SLURM_TIMES:-}" ] && echo "$SECONDS s: $what"
    if "$@" > "$tmp/check.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what"
        tail -5 "$tmp/check.log" | sed 's/^/    /'
    fi
}
same() { /usr/bin/python3 "$repo/tests/compare_results.py" "$1" "$2"; }
valid() { /usr/bin/python3 "$repo/tests/check_results.py" "$1" "$2"; }
rows() {
    /usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r',libver='latest',swmr=True); print(len(f['runs']))" "$1" 2> /dev/null || echo 0
}

# submit FOLDER [sbatch options] SCRIPT [arguments]: the job id. Every job is recorded so
# that the cleanup ends it. 3 tasks on 2 CPUs (rank 0 sleeps while it waits) need -O.
submit() {
    local folder=$1 job
    shift
    job=$(cd "$folder" && sbatch --parsable "$@") || return 1
    echo "$job" >> "$tmp/jobs"
    echo "${job%%;*}"
}
state() { squeue -h -t all -j "$1" -o %T 2> /dev/null; }
field() { scontrol show job -o "$1" 2> /dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# finish JOB [SECONDS]: waits for the job's end (through any requeues); prints its state.
finish() {
    local deadline=$((SECONDS + ${2:-120})) s
    while [ "$SECONDS" -lt "$deadline" ]; do
        s=$(state "$1")
        case "$s" in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
                echo "$s"
                return 0
                ;;
        esac
        sleep 0.2
    done
    echo "still ${s:-unknown} after ${2:-120} s"
}
# started FOLDER N: waits until N tasks of the stand-in have started (and trap signals).
started() {
    local deadline=$((SECONDS + 60))
    local n
    while n=$(grep -sc '^start' "$1/events"); [ "${n:-0}" -lt "$2" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
# midway JOB FILE N: waits until the job has N runs in FILE, reading it 20 times a second
# as a SWMR reader, so that the signal that follows comes while later runs are in flight.
midway() {
    /usr/bin/python3 - "$1" "$2" "$3" << 'PY'
import subprocess, sys, time
import h5py
job, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 120
polls = 0
while time.monotonic() < deadline:
    try:
        with h5py.File(path, "r", libver="latest", swmr=True) as f:
            if len(f["runs"]) >= n:
                sys.exit(0)
    except (OSError, KeyError):
        pass  # not created yet
    polls += 1
    if polls % 40 == 0:
        state = subprocess.run(["squeue", "-h", "-j", job, "-o", "%T"],
                               capture_output=True, text=True).stdout.strip()
        if state not in ("PENDING", "CONFIGURING", "RUNNING"):
            sys.exit(f"job {job} is {state or 'gone'}")
    time.sleep(0.05)
sys.exit("timed out")
PY
}
events() { sort "$1/events" 2> /dev/null | tr '\n' ';'; }

# The sweep that is interrupted below, 6 s or more on two workers, long enough to be hit
# midway; its uninterrupted reference is run directly while the stand-in tests wait.
cat > long.ini << PLAN
[sweep]
output = long.h5
seeds = 2
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 1x32x2, 2x32x2, 1x64x2, 2x64x2
n_ctx = 32
[train]
batch = 8
tokens = 200k
lr = 3e-3
PLAN
total=8
direct() { # folder plan [options]: the sweep run directly, 3 ranks
    (cd "$1" && shift && mpirun --oversubscribe -n 3 "$bin" "$@" --quiet --no-fit > /dev/null 2>&1)
}
mkdir long-direct
direct long-direct ../long.ini &
reference=$!

# ---- the batch script's logic, with the stand-in binary ----
# The time limit's warning: slurmctld looks at time limits every few tens of seconds, so
# this job (one task, one CPU) runs beside the others and is checked at the end.
mkdir limit
limit_job=$(FAKE_DIR=$tmp/limit FAKE_WAIT=90 SCALESWEEP_BIN=$fake submit limit -n 1 --time=1 \
    --signal=B:USR1@55 "$batch" plan.ini)

mkdir usr1
job=$(FAKE_DIR=$tmp/usr1 SCALESWEEP_BIN=$fake submit usr1 -n 2 -O "$batch" plan.ini)
started usr1 2
scancel --batch --signal=USR1 "$job"
check "fake: USR1 to the batch shell, then requeued, completes" test "$(finish "$job")" = COMPLETED
check "fake: every task got SIGUSR1, then started again and ended" \
    test "$(events usr1)" = "signal USR1 0;signal USR1 1;start 0 0;start 0 1;start 1 0;start 1 1;"
check "fake: requeued once (Restarts=1), exit code 0" test "$(field "$job" Restarts) $(field "$job" ExitCode)" = "1 0:0"
check "fake: the log holds both starts (appended)" \
    sh -c "grep -q '(start 1)' usr1/scalesweep-$job.log && grep -q '(start 2)' usr1/scalesweep-$job.log"

mkdir term
job=$(FAKE_DIR=$tmp/term SCALESWEEP_BIN=$fake submit term -n 2 -O "$batch" plan.ini)
started term 2
scancel --batch --signal=TERM "$job"
check "fake: TERM to the batch shell, then requeued, completes" test "$(finish "$job")" = COMPLETED
check "fake: TERM reaches the tasks as SIGUSR1 (srun would SIGKILL them on its own TERM)" \
    test "$(grep signal term/events | sort | tr '\n' ';')" = "signal USR1 0;signal USR1 1;"

mkdir fail
job=$(FAKE_DIR=$tmp/fail FAKE_EXIT=1 SCALESWEEP_BIN=$fake submit fail -n 2 -O "$batch" plan.ini)
check "fake: status 1 fails the job" test "$(finish "$job")" = FAILED
check "fake: status 1 is not requeued, and is the job's exit code" \
    test "$(field "$job" Restarts) $(field "$job" ExitCode)" = "0 1:0"

mkdir norequeue
job=$(FAKE_DIR=$tmp/norequeue FAKE_EXIT=75 SCALESWEEP_REQUEUE=no SCALESWEEP_BIN=$fake \
    submit norequeue -n 2 -O "$batch" plan.ini)
check "fake: status 75 with SCALESWEEP_REQUEUE=no ends the job, status 75, no requeue" \
    test "$(finish "$job") $(field "$job" Restarts) $(field "$job" ExitCode)" = "FAILED 0 75:0"

mkdir noplan
job=$(SCALESWEEP_PLAN='' submit noplan -n 1 "$batch")
check "no plan: the job fails with status 2" test "$(finish "$job") $(field "$job" ExitCode)" = "FAILED 2:0"

# ---- real sweeps: submitted = direct mpirun ----
wait "$reference"
check "long sweep, direct mpirun, exits 0" test $? -eq 0
mkdir synthetic-direct synthetic-slurm
direct synthetic-direct "$repo/jobs/synthetic.ini"
check "stand-in sweep, direct mpirun, exits 0" test $? -eq 0
job=$(submit synthetic-slurm -n 3 -O "$batch" "$repo/jobs/synthetic.ini" --quiet --no-fit)
check "stand-in sweep, submitted, completes" test "$(finish "$job")" = COMPLETED
check "stand-in sweep: submitted = direct, bit for bit" same synthetic-direct/synthetic.h5 synthetic-slurm/synthetic.h5
check "stand-in sweep: h5py checks the submitted file" valid synthetic-slurm/synthetic.h5 270

cat > tiny.ini << PLAN
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
mkdir tiny-direct tiny-slurm
direct tiny-direct ../tiny.ini
check "tiny transformer sweep, direct mpirun, exits 0" test $? -eq 0
job=$(submit tiny-slurm -n 3 -O "$batch" ../tiny.ini --quiet --no-fit)
check "tiny transformer sweep, submitted, completes" test "$(finish "$job")" = COMPLETED
check "tiny transformer sweep: submitted = direct, bit for bit" same tiny-direct/tiny.h5 tiny-slurm/tiny.h5

# ---- a wide run under srun: one run on both workers, its group made inside the job ----
cat > lone.ini << PLAN
[sweep]
mode = list
output = lone.h5
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
n_ctx = 32
[train]
runs = 2x64x2 @ 100k
batch = 8
lr = 3e-3
PLAN
mkdir lone-direct lone-slurm
direct lone-direct ../lone.ini
check "a lone run, direct mpirun, exits 0" test $? -eq 0
job=$(submit lone-slurm -n 3 -O "$batch" ../lone.ini --quiet --no-fit)
check "a lone run, submitted, completes" test "$(finish "$job")" = COMPLETED
check "a lone run under srun trained on both workers at once" /usr/bin/python3 -c "
import h5py
assert h5py.File('lone-slurm/lone.h5', 'r')['runs']['ranks'][0] == 2"
check "a lone run: submitted = direct, bit for bit" same lone-direct/lone.h5 lone-slurm/lone.h5
check "a lone run under srun ran on the BLAS kernels of the direct run (each rank corrects them before MPI_Init)" \
    /usr/bin/python3 -c "
import h5py
a, b = (h5py.File(p + '/lone.h5', 'r') for p in ('lone-direct', 'lone-slurm'))
assert a['runs']['blas_core'][0] == b['runs']['blas_core'][0], (a['runs']['blas_core'], b['runs']['blas_core'])"

# ---- interruptions ----
# SIGUSR1 to the batch shell (as the warning before the time limit comes) once 2 runs
# are done: the batch shell passes it to srun, srun to the tasks.
mkdir usr1-batch
job=$(submit usr1-batch -n 3 -O "$batch" ../long.ini --no-fit)
midway "$job" usr1-batch/long.h5 2
at=$(rows usr1-batch/long.h5)
scancel --batch --signal=USR1 "$job"
check "USR1: came mid-sweep ($at of $total runs done)" test "$at" -ge 1 -a "$at" -lt "$total"
check "USR1: requeued, then complete" test "$(finish "$job")" = COMPLETED
check "USR1: requeued once (Restarts=1)" test "$(field "$job" Restarts)" = 1
check "USR1: runs in flight were checkpointed" grep -Eq "interrupted [0-9a-f]{16}" "usr1-batch/scalesweep-$job.log"
check "USR1: identical to the uninterrupted sweep" same long-direct/long.h5 usr1-batch/long.h5
check "USR1: h5py checks" valid usr1-batch/long.h5 "$total"

# The same with mpirun started inside the allocation instead of srun.
mkdir mpirun
job=$(SCALESWEEP_LAUNCH=mpirun submit mpirun -n 3 -O "$batch" ../long.ini --no-fit)
midway "$job" mpirun/long.h5 2
at=$(rows mpirun/long.h5)
scancel --batch --signal=USR1 "$job"
check "mpirun: USR1 came mid-sweep ($at of $total runs done)" test "$at" -ge 1 -a "$at" -lt "$total"
check "mpirun: requeued once, then complete" \
    test "$(finish "$job") $(field "$job" Restarts)" = "COMPLETED 1"
check "mpirun: runs in flight were checkpointed" grep -Eq "interrupted [0-9a-f]{16}" "mpirun/scalesweep-$job.log"
check "mpirun: identical to the uninterrupted sweep" same long-direct/long.h5 mpirun/long.h5

# scancel: SIGTERM to every task, KillWait seconds before SIGKILL; the job ends
# cancelled, not requeued; the same submission again, once it has left the node, resumes.
mkdir cancelled
job=$(submit cancelled -n 3 -O "$batch" ../long.ini --no-fit)
midway "$job" cancelled/long.h5 2
scancel "$job"
check "scancel: the job ends cancelled, not requeued" \
    test "$(finish "$job") $(field "$job" Restarts)" = "CANCELLED 0"
at=$(rows cancelled/long.h5)
check "scancel: came mid-sweep ($at of $total runs done)" test "$at" -ge 1 -a "$at" -lt "$total"
job=$(submit cancelled -n 3 -O "$batch" ../long.ini --no-fit)
check "scancel, then submitted again: complete" test "$(finish "$job")" = COMPLETED
check "scancel, then submitted again: identical to the uninterrupted sweep" same long-direct/long.h5 cancelled/long.h5

# A chain of two jobs. SIGUSR1 to the first job's tasks directly (not through the batch
# shell): it checkpoints, ends with status 75 and is not requeued; the second completes.
mkdir chained
chain_jobs=$(cd chained && "$chain" 2 -n 3 -O -- ../long.ini --no-fit)
first=$(echo "$chain_jobs" | sed -n 1p)
second=$(echo "$chain_jobs" | sed -n 2p)
echo "$first $second" >> "$tmp/jobs"
check "chain: two jobs submitted" test -n "$first" -a -n "$second"
midway "$first" chained/long.h5 2
at=$(rows chained/long.h5)
scancel --signal=USR1 "$first"
check "chain: USR1 to the tasks came mid-sweep ($at of $total runs done)" test "$at" -ge 1 -a "$at" -lt "$total"
check "chain: the interrupted first job ends with status 75, not requeued" \
    test "$(finish "$first") $(field "$first" Restarts) $(field "$first" ExitCode)" = "FAILED 0 75:0"
check "chain: its runs in flight were checkpointed" grep -Eq "interrupted [0-9a-f]{16}" "chained/scalesweep-$first.log"
check "chain: the second job completes the sweep" test "$(finish "$second")" = COMPLETED
check "chain: identical to the uninterrupted sweep" same long-direct/long.h5 chained/long.h5

# ---- the warning before the time limit (submitted first) ----
check "time limit: the warning came, requeued, then complete" test "$(finish "$limit_job" 100)" = COMPLETED
check "time limit: the task got SIGUSR1 from the warning" grep -q "signal USR1 0" limit/events
check "time limit: requeued (Restarts >= 1)" test "$(field "$limit_job" Restarts)" -ge 1

echo "test_slurm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
