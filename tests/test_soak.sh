#!/bin/bash
# Soak: a sweep SIGKILLed at random moments ten times, restarted after each, while an h5py
# reader keeps reading the results file; the final file must equal an uninterrupted
# sweep's, bit for bit, every run exactly once, and the reader must never have seen an
# inconsistent table (a row whose curve is missing or belongs to another run).
#   test_soak.sh BUILD_DIR DATA_DIR
set -u
bin="$(cd "$1" && pwd)/scalesweep"
data=$(cd "$2" && pwd)
reader=""
source "$(dirname "$0")/lib.sh"
trap '[ -n "$reader" ] && kill "$reader" 2> /dev/null; rm -rf "$tmp"' EXIT

cat > soak.ini <<PLAN
[sweep]
output = soak.h5
seeds = 2
[data]
corpus = $data/brown
eval_tokens = 4096
[model]
shapes = 1x32x2, 2x32x2, 1x64x2, 2x64x2, 2x96x3
n_ctx = 64
[train]
batch = 16
tokens = 80k, 160k
lr = 3e-3
checkpoint_seconds = 1
PLAN
mkdir whole soak
started=$(date +%s.%N)
(cd whole && mpirun --oversubscribe -n 3 "$bin" ../soak.ini --quiet --no-fit 2> /dev/null)
check "the uninterrupted sweep exits 0" test $? -eq 0
# Each round lets the sweep run for a random time before the kill, up to an eighth of the
# uninterrupted sweep's time (at least 0.6 s), from half of that: ten rounds then land ten
# kills mid-sweep on a fast machine as on a slow one.
longest=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { t = (e - s) / 8; print t > 0.6 ? t : 0.6 }')

cd soak
# the reader: reads the table again and again, checking each row against its curve
/usr/bin/python3 - > reader.txt 2>&1 <<'PY' &
import os, time, h5py
reads = bad = 0
deadline = time.time() + 600
while time.time() < deadline and not os.path.exists("stop-reading"):
    try:
        with h5py.File("soak.h5", "r", libver="latest", swmr=True) as f:
            runs, curves = f["runs"][:], f["curves"]
            for r in runs:
                c = curves[r["curve_offset"]:r["curve_offset"] + r["curve_length"]]
                if len(c) != r["curve_length"] or (c["run_id"] != r["run_id"]).any() \
                        or (len(c) and c["test_loss"][-1] != r["final_test_loss"]):
                    bad += 1
                    print("inconsistent row", r["run_id"], flush=True)
            ids = list(runs["run_id"])
            if len(ids) != len(set(ids)):
                bad += 1
                print("duplicate run ids", flush=True)
        reads += 1
    except (OSError, KeyError):
        pass  # not created yet, or being repaired by a restart
    time.sleep(0.02)
print(f"reads {reads} inconsistent {bad}")
PY
reader=$!
kills=0
round=0
# until ten SIGKILLs have landed mid-sweep (a round whose sweep ended first lands none)
while [ "$kills" -lt 10 ] && [ "$round" -lt 20 ] && [ "$(rows soak.h5)" -lt 20 ]; do
    round=$((round + 1))
    setsid mpirun --oversubscribe -n 3 "$bin" ../soak.ini --quiet --no-fit > /dev/null 2>&1 &
    leader=$!
    sleep "$(awk -v r="$RANDOM" -v b="$longest" 'BEGIN { printf "%.2f", b * (0.5 + 0.5 * r / 32767) }')"
    if kill -0 "$leader" 2> /dev/null; then
        pkill -KILL -s "$leader"
        kills=$((kills + 1))
    fi
    wait "$leader" 2> /dev/null
    while pgrep -s "$leader" > /dev/null; do sleep 0.05; done
    echo "round $round: $(rows soak.h5) of 20 runs in the file after $kills kills"
done
mpirun --oversubscribe -n 3 "$bin" ../soak.ini --quiet --no-fit 2> final.txt
code=$?
touch stop-reading
wait "$reader"
reader=""
cd ..
check "$kills SIGKILLs landed mid-sweep (10 wanted)" test "$kills" -ge 10
check "the last restart completes the sweep (exit $code)" test "$code" -eq 0
check "after $kills SIGKILLs: every run once, identical to the uninterrupted sweep" \
    /usr/bin/python3 "$tests/compare_results.py" whole/soak.h5 soak/soak.h5
check "the results file passes the h5py checks" /usr/bin/python3 "$tests/check_results.py" soak/soak.h5 20
check "the reader read the file many times: $(cat soak/reader.txt | tail -1)" \
    grep -q "^reads [1-9][0-9]* inconsistent 0$" soak/reader.txt
report test_soak
