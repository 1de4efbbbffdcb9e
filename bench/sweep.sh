#!/bin/bash
# Sweep benchmarks, from the repository root after a build:
#   1. dispatch rate: 10,000 stand-in runs (no training) on 3 ranks, HDF5 writes included;
#   2. sweep efficiency: a real tiny-transformer sweep on 2 workers (3 ranks, 2 cores):
#      sum of run times / (workers x wall time).
#   bench/sweep.sh
set -eu
root=$(pwd)
bin="$root/build/scalesweep"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1

cat > dispatch.ini <<PLAN
[sweep]
trainer = synthetic
seeds = 100
output = dispatch.h5
[model]
shapes = 1x32x1, 1x64x2, 2x64x2, 2x96x3, 2x128x4, 3x128x4, 4x128x4, 4x192x6, 4x256x8, 6x256x8
[train]
tokens = 1M, 2M, 3M, 5M, 10M, 20M, 30M, 50M, 100M, 200M
PLAN
echo "dispatch: 10,000 stand-in runs (about 10 curve points each), 3 ranks"
mpirun --oversubscribe -n 3 "$bin" dispatch.ini --quiet 2> dispatch.txt || { cat dispatch.txt; exit 1; }
grep "finished\|rank 0 used" dispatch.txt | sed 's/^scalesweep: /  /'
rate=$(sed -n 's/.*, \([0-9.]*\) runs\/s$/\1/p' dispatch.txt)
awk -v r="$rate" 'BEGIN { verdict = "NOT met"; if (r >= 5000) verdict = "met"; printf "  %.0f runs/s against the target of 5,000: %s\n", r, verdict }'

cat > efficiency.ini <<PLAN
[sweep]
output = efficiency.h5
[data]
corpus = $root/data/brown
eval_tokens = 16k
[model]
shapes = 1x32x2, 2x32x2, 1x64x2, 2x64x2, 2x96x3
n_ctx = 64
[train]
batch = 16
tokens = 200k, 400k
lr = 3e-3
PLAN
echo
echo "efficiency: 10 tiny transformer runs on 2 workers (mpirun -n 3, 2 cores)"
start=$(date +%s.%N)
mpirun --oversubscribe -n 3 "$bin" efficiency.ini --quiet 2> efficiency.txt || { cat efficiency.txt; exit 1; }
end=$(date +%s.%N)
grep "finished\|rank 0 used" efficiency.txt | sed 's/^scalesweep: /  /'
sweep_seconds=$(sed -n 's/.*(\([0-9.]*\) s), .*runs\/s$/\1/p' efficiency.txt)
/usr/bin/python3 - "$sweep_seconds" "$start" "$end" <<'PY'
import sys, h5py
sweep, start, end = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
with h5py.File("efficiency.h5", "r", libver="latest", swmr=True) as f:
    busy = float(f["runs"]["seconds"].sum())
print(f"  sum of run times {busy:.1f} s; rank 0's sweep time {sweep:.1f} s; mpirun's {end - start:.1f} s")
e = busy / (2 * sweep)
print(f"  efficiency {e:.3f} over the sweep, {busy / (2 * (end - start)):.3f} over all of mpirun "
      f"(MPI start-up, corpus loading); target 0.9 over the sweep: {'met' if e >= 0.9 else 'NOT met'}")
PY
