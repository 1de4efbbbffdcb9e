#!/bin/bash
# Wide runs, from the repository root after a build (./setup.sh run or test has made
# data/brown):
#   1. the schedule on the cost profiles of jobs/joint_grid.ini, l_of_n.ini and isoflop.ini,
#      simulated on 16, 64 and 256 ranks (build/bench/bench_schedule);
#   2. the same plans run for real on the timed stand-in ([synthetic], time proportional to
#      6ND, each doubling of a run's width keeping 97%) on 16 and 64 workers of this machine:
#      efficiency = sum over runs of their one-rank time / (workers x the sweep's wall time);
#   3. the real transformer (4,256,4,128,16) on 1 and on 2 ranks (build/bench/bench_wide:
#      alternating rounds, beside two independent runs as this machine's own ceiling),
#      tokens/s side by side, and whether the two give the same bits.
#   bench/wide.sh [seconds per stand-in sweep, default 6]
set -eu
root=$(pwd)
bin="$root/build/scalesweep"
seconds=${1:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
jobs="$root/jobs/joint_grid.ini $root/jobs/l_of_n.ini $root/jobs/isoflop.ini"

echo "1. simulated (schedule.h's dispatch on times proportional to 6ND)"
"$root/build/bench/bench_schedule" $jobs --ranks 16,64,256 | sed 's/^/  /'

echo
echo "2. measured: the timed stand-in, $seconds s of work per worker, width efficiency 0.97"
printf "  %-16s %7s %10s %10s %9s\n" plan workers wall "efficiency" "busy"
cd "$tmp"
for job in $jobs; do
    name=$(basename "$job" .ini)
    sed "/^\[sweep\]/a trainer = synthetic\noutput = $name.h5" "$job" > "$name.ini"
    total=$("$bin" "$name.ini" --dry-run | sed -n 's/^total: C = 6ND = \([0-9.e+]*\) FLOPs.*/\1/p')
    [ -n "$total" ] || { echo "bench/wide.sh: no total cost from $job --dry-run" >&2; exit 1; }
    for workers in 16 64; do
        flops_per_second=$(awk -v c="$total" -v p="$workers" -v s="$seconds" 'BEGIN { printf "%.6g", c / (p * s) }')
        sed "s/^output = $name.h5/output = $name-$workers.h5/" "$name.ini" > "$name-$workers.ini"
        printf '\n[synthetic]\nflops_per_second = %s\nwidth_efficiency = 0.97\n' "$flops_per_second" >> "$name-$workers.ini"
        mpirun --oversubscribe -n $((workers + 1)) "$bin" "$name-$workers.ini" --no-fit 2> "$name-$workers.txt" > /dev/null ||
            { cat "$name-$workers.txt"; exit 1; }
        wall=$(sed -n 's/.* in [0-9hms]* (\([0-9.]*\) s).*/\1/p' "$name-$workers.txt")
        busy=$(sed -n 's/.*workers were training \([0-9.]*\)%.*/\1/p' "$name-$workers.txt")
        /usr/bin/python3 - "$name-$workers.h5" "$flops_per_second" "$workers" "$wall" "$name" "$busy" <<'PY'
import sys
import h5py
path, fps, workers, wall, name, busy = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
runs = h5py.File(path, "r")["runs"][:]
work = (runs["flops"] / fps).sum()
print(f"  {name:<16} {workers:7d} {wall:9.2f}s {100 * work / (workers * wall):9.1f}% {busy:>8}%")
PY
    done
done
echo "  efficiency: sum of the runs' one-rank times / (workers x wall); busy: the share of"
echo "  worker time spent in runs (what the sweep prints); targets 75% on 16, 50% on 64."

echo
echo "3. the transformer (4,256,4,128,16): one run on 1 rank, and on 2 ranks"
cd "$root"
mpirun -n 2 build/bench/bench_wide data/brown | sed 's/^/  /'
