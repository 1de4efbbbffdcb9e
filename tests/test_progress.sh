#!/bin/bash
# Progress while runs train, and `scalesweep status`: a timed stand-in sweep of about 50 s on
# 3 ranks prints its state line (runs done, each run under way with step/total and tokens/s,
# the ETA) while runs train, every progress_seconds and no more often; the ETA printed
# around the sweep's midpoint is within 25% of the time that was really left; `scalesweep
# status` from another shell shows the same state while the sweep runs and what is done
# after it; the sidecar goes at the end; the timed runs are bit-identical to untimed ones;
# --quiet prints no state line; on a terminal the line is rewritten in place with the
# finished runs above it; a bad progress_seconds and bad status arguments are refused.
#
#   test_progress.sh BUILD_DIR
set -u
build=$(cd "$1" && pwd)
bin="$build/scalesweep"
source "$(dirname "$0")/lib.sh"

# 18 runs of three sizes on 2 workers; the time model gives about 100 worker-seconds, a
# sixth of it per-step overhead, and the largest runs train 2 ranks wide
cat > timed.ini <<PLAN
[sweep]
trainer = synthetic
seeds = 2
output = timed.h5
progress_seconds = 2
[model]
shapes = 2x128x2, 4x128x4, 4x256x4
n_ctx = 64
[train]
batch = 16
tokens = 2M, 4M, 8M
[synthetic]
flops_per_second = 8.5e12
step_seconds = 0.0002
PLAN
# stamp LOG: stdin's lines into LOG, each after the seconds since the start at which it came
stamp() {
    "$python" -u -c '
import sys, time
start = time.monotonic()
with open(sys.argv[1], "w") as out:
    for line in sys.stdin:
        out.write("%.3f %s" % (time.monotonic() - start, line))
        out.flush()' "$1"
}
(
    mpirun --oversubscribe -n 3 "$bin" timed.ini --no-fit 2>&1 > /dev/null | stamp sweep.txt
    echo "${PIPESTATUS[0]}" > sweep.status
) &
job=$!
# from another shell, while it runs: once a few runs have ended, just after a state line
# (when the sidecar is new) whose runs all show their speed; a run may end in between and
# leave the sidecar behind the file for a moment, so up to five ticks are tried
during='^timed\.h5: ([3-9]|1[0-7])/18 done, [1-9] running \([0-9a-f]{8} [0-9]+/[0-9]+ steps [0-9.]+[kMG]? tok/s.*\), 0 failed, 0 diverged, elapsed [0-9ms]+, ETA [0-9ms]+$'
seen=0
for attempt in 1 2 3 4 5; do
    for _ in $(seq 400); do
        ended=$(grep -c '\] ok ' sweep.txt 2> /dev/null)
        last=$(grep -c 'tok/s' sweep.txt 2> /dev/null)
        [ "${ended:-0}" -ge 3 ] && [ "${last:-0}" -gt "$seen" ] &&
            tail -1 sweep.txt | grep -q 'running (.*tok/s' && ! tail -1 sweep.txt | grep -q starting && break
        sleep 0.05
    done
    seen=$(grep -c 'tok/s' sweep.txt)
    "$bin" status timed.h5 > status_during.txt 2>&1
    status_during=$?
    grep -Eq "$during" status_during.txt && break
done
wait "$job"
check "the timed sweep exits 0" test "$(cat sweep.status)" -eq 0
check "status during the sweep exits 0 ($status_during)" test "$status_during" -eq 0
echo "status during the sweep: $(cat status_during.txt)"
check "status during the sweep shows the runs done, each run under way with step/total and tokens/s, and an ETA (try $attempt)" \
    grep -Eq "$during" status_during.txt

cat > state_lines.py <<'PY'
import re
import sys

PERIOD = 2.0


def seconds(text):  # 1h02m, 3m07s, 42s
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return 3600 * h + 60 * mi + s


lines = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1])]
lines = [(float(t), text) for t, text in lines]
start = next(t for t, text in lines if " to run on 2 workers" in text)
end = next(t for t, text in lines if text.startswith("scalesweep: finished: 18 of 18 runs"))
state = [(t, text) for t, text in lines if re.match(r"scalesweep: \d+/18 done, \d+ running", text)]
total = end - start
print(f"{len(state)} state lines over {total:.1f} s")
assert 35 <= total <= 75, f"the sweep took {total:.1f} s, not about 50"

# while runs train: each run under way with its step of its total and its tokens/s
run = re.compile(r"[0-9a-f]{8} (\d+)/(\d+) steps [0-9.]+[kMG]? tok/s")
first_end = next(t for t, text in lines if "] ok " in text)
early = [text for t, text in state if t < first_end and run.search(text)]
assert early, "no state line with a run's step and tokens/s before the first run ended"
assert all(int(a) <= int(b) for _, text in state for a, b in run.findall(text))

# no more often than the period, and about that often while runs train
gaps = [b[0] - a[0] for a, b in zip(state, state[1:])]
print(f"gaps between state lines: {min(gaps):.2f} to {max(gaps):.2f} s")
assert min(gaps) >= PERIOD - 0.15, f"two state lines {min(gaps):.2f} s apart"
assert max(gaps) <= PERIOD + 1.0, f"no state line for {max(gaps):.2f} s"
assert state[0][0] - start <= PERIOD + 1.0, "the first state line came late"

# the ETA near the midpoint: within 25% of what was left
worst = 0.0
checked = 0
for t, text in state:
    if not 0.4 <= (t - start) / total <= 0.6:
        continue
    eta = seconds(re.search(r"ETA (\S+)$", text).group(1))
    left = end - t
    error = (eta - left) / left
    print(f"at {t - start:5.1f} s of {total:.1f}: ETA {eta:3d} s, {left:5.1f} s were left ({100 * error:+.0f}%)")
    worst = max(worst, abs(error))
    checked += 1
assert checked >= 3, f"only {checked} state lines between 40% and 60% of the sweep"
assert worst <= 0.25, f"an ETA near the midpoint was {100 * worst:.0f}% off"
PY
"$python" state_lines.py sweep.txt > state_lines.txt 2>&1
state_lines=$?
sed 's/^/    /' state_lines.txt
check "the timed sweep's state lines: while runs train, every 2 s, the ETA near the midpoint within 25%" \
    test "$state_lines" -eq 0

"$bin" status timed.h5 > status_after.txt 2>&1
check "status after the sweep exits 0" test $? -eq 0
echo "status after the sweep: $(cat status_after.txt)"
check "status after the sweep says every run has ended and no sweep is writing it" \
    grep -qx 'timed\.h5: 18/18 done, 0 failed, 0 diverged; no sweep is writing it: every run of its plan has ended' status_after.txt
check "the sidecar is gone once the sweep has ended" test ! -e timed.h5.progress

# the time model and the stepping change no result: the same runs untimed, bit for bit
sed '/^\[synthetic\]/,$d; s/^output = timed.h5/output = untimed.h5/' timed.ini > untimed.ini
sweep 3 untimed.ini
check "the untimed sweep exits 0" test $? -eq 0
check "timed runs stepped in parts = untimed runs, bit for bit" same timed.h5 untimed.h5

# a sweep cut short: status says what is left
"$python" - timed.h5 partial.h5 <<'PY'
import sys

import h5py

# the first 5 rows with their curves, as a sweep stopped after 5 runs would leave them
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "w", libver="latest") as b:
    for key, value in a.attrs.items():
        b.attrs[key] = value
    runs = a["runs"][:5]
    end = max(int(r["curve_offset"] + r["curve_length"]) for r in runs)
    b.create_dataset("runs", data=runs, maxshape=(None,), chunks=True)
    b.create_dataset("curves", data=a["curves"][:end], maxshape=(None,), chunks=True)
    S = len(a["sources"])
    b.create_dataset("sources", data=a["sources"][:], maxshape=(None,), chunks=True)
    b.create_dataset("source_losses", data=a["source_losses"][:5 * S], maxshape=(None,), chunks=True)
    b.create_dataset("source_curves", data=a["source_curves"][:end * S], maxshape=(None,), chunks=True)
    b.create_dataset("position_losses", data=a["position_losses"][:5], maxshape=(None,), chunks=True)
PY
"$bin" status partial.h5 > status_partial.txt 2>&1
check "status of a file its sweep left unfinished exits 0" test $? -eq 0
check "status of an unfinished file says what is left and what to do" \
    grep -qx 'partial\.h5: 5/18 done, 0 failed, 0 diverged; no sweep is writing it: 13 runs are left; run the plan again to continue' status_partial.txt

# --quiet: no state line, only the summary
sed 's/^output = timed.h5/output = quiet.h5/; s/^progress_seconds = 2/progress_seconds = 1/; s/^tokens = .*/tokens = 2M/; s/^flops_per_second = .*/flops_per_second = 4e13/; s/^step_seconds = .*/step_seconds = 0.0001/' timed.ini > quiet.ini
mpirun --oversubscribe -n 3 "$bin" quiet.ini --quiet --no-fit > /dev/null 2> quiet.txt
check "a quiet sweep exits 0" test $? -eq 0
check "a quiet sweep prints no state line and no finished run" test -z "$(grep -E 'running|\] ok ' quiet.txt)"
check "a quiet sweep prints its summary" grep -q "^scalesweep: finished: 6 of 6 runs" quiet.txt

# on a terminal (one rank, under script's pseudo-terminal): one line rewritten in place,
# the finished runs above it
sed 's/^output = quiet.h5/output = terminal.h5/' quiet.ini > terminal.ini
script -qec "'$bin' terminal.ini --no-fit" /dev/null > terminal.txt 2>&1
check "a sweep on a terminal exits 0" test $? -eq 0
check "on a terminal the state line is rewritten in place (carriage return, erase to its end)" \
    grep -q $'\rscalesweep: [0-9]/6 done, [01] running.*\e\[K' terminal.txt
check "on a terminal each finished run prints on a line of its own (the state line erased first)" \
    test "$(grep -Eo $'(^|\r\e\\[K)scalesweep: \\[[1-6]/6\\] ok [^\r]*\r$' terminal.txt | wc -l)" -eq 6

# ... and under mpirun on a terminal (rank 0's stderr is a pipe to mpirun, whose own is the
# terminal): in place too, as wide as that terminal (200 columns: the runs' steps fit)
sed 's/^output = quiet.h5/output = mpi_terminal.h5/' quiet.ini > mpi_terminal.ini
script -qec "stty cols 200; mpirun --oversubscribe -n 3 '$bin' mpi_terminal.ini --no-fit" /dev/null \
    > mpi_terminal.txt 2>&1
check "under mpirun on a terminal the sweep exits 0" test $? -eq 0
check "... and its state line is rewritten in place, with the runs' steps" \
    grep -q $'\rscalesweep: [0-9]/6 done, [1-9] running ([0-9a-f]\\{8\\} [0-9]*/[0-9]* steps.*\e\[K' mpi_terminal.txt

# bad input
printf '[sweep]\ntrainer = synthetic\nprogress_seconds = -1\n[model]\nshapes = 2x64x2\n[train]\ntokens = 1M\n' > bad.ini
"$bin" bad.ini --dry-run 2> bad.txt
check "a negative progress_seconds exits 2" test $? -eq 2
check "the error names file, line and key" grep -q "^bad.ini:3: \[sweep\] progress_seconds: " bad.txt
"$bin" status > none.txt 2>&1
check "status without a file exits 2" test $? -eq 2
check "status without a file says what it expects" grep -q "expected one results file (see scalesweep status --help)" none.txt
"$bin" status --bogus timed.h5 > bogus.txt 2>&1
check "status with an unknown option exits 2" test $? -eq 2
"$bin" status --help > help.txt 2>&1
check "status --help exits 0 and shows the usage" grep -q "^usage: scalesweep status RESULTS.h5" help.txt
"$bin" status missing.h5 > missing.txt 2>&1
check "status of a missing file exits 2" test $? -eq 2
"$bin" status timed.ini > notresults.txt 2>&1
check "status of a file that is not a results file exits 2" test $? -eq 2

report test_progress
