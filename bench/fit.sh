#!/bin/sh
# The fit benchmark, side by side in one run: scipy's L-BFGS-B from Chinchilla's full grid
# (4,500 starts, finite-difference gradients as the published replication ran it; about
# 100 s on one core), then ours on the same 240 points on one and two threads, and the
# whole fit stage with a 1000-resample bootstrap.
#   bench/fit.sh [analytic|numeric]        (from the repository root, after a build)
set -eu
gradient=${1:-numeric}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/bench/bench_fit --write-data "$work/data.csv"
echo "scipy $(/usr/bin/python3 -c 'import scipy; print(scipy.__version__)'), L-BFGS-B, $gradient gradient, one core: 4,500 starts..."
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 tests/fit_reference.py "$work/data.csv" \
    --gradient "$gradient" > "$work/scipy.json"
cat "$work/scipy.json"
exec build/bench/bench_fit --data "$work/data.csv" --scipy "$work/scipy.json"
