#!/bin/sh
# Parity with PyTorch, side by side in one run: the same configurations trained by
# `scalesweep train` and by bench/parity.py (the same model written the usual way in
# PyTorch, one thread, the same corpus files, schedule and held-out windows), over several
# seeds. Prints each configuration's mean held-out loss with its seed spread for both, and
# their difference in units of the spread, so that a drift of the implementation away from
# the reference shows as a number.
#   bench/parity.sh [seeds] [corpus]        (from the repository root, after a build;
#                                           needs Debian's python3-torch)
set -eu
seeds=${1:-3}
corpus=${2:-data/brown}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "bench/parity.sh: needs python3-torch (apt-get install python3-torch)" >&2
    exit 2
fi
# L,C,H,T,B,D,LR: the issue's reference setting (2x64x2, n_ctx 64, batch 16, lr 3e-3, 1M
# tokens) and a deeper, wider one
configs="2,64,2,64,16,1000000,3e-3 4,128,4,64,16,1000000,2e-3"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
list=$(seq 1 "$seeds")
printf '%-26s %-22s %-22s %s\n' "L,C,H,T,B,D,lr" "scalesweep" "PyTorch" "difference"
for config in $configs; do
    IFS=, read -r L C H T B D LR <<EOC
$config
EOC
    : > "$out"
    for seed in $list; do
        build/scalesweep train --corpus "$corpus" --n-layer "$L" --d-model "$C" --n-head "$H" \
            --n-ctx "$T" --batch "$B" --tokens "$D" --lr "$LR" --seed "$seed" --evaluations 1 \
            --quiet | awk -v s="$seed" '$1 == "test_loss" { print "ours", s, $2 }' >> "$out"
    done
    /usr/bin/python3 "$(dirname "$0")/parity.py" "$corpus" "$config" $list |
        awk '{ print "torch", $1, $2 }' >> "$out"
    /usr/bin/python3 - "$out" "$config" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
ours = [float(r[2]) for r in rows if r[0] == "ours"]
torch = [float(r[2]) for r in rows if r[0] == "torch"]
def spread(v):
    return statistics.stdev(v) if len(v) > 1 else float("nan")
m1, m2 = statistics.mean(ours), statistics.mean(torch)
pooled = ((spread(ours) ** 2 + spread(torch) ** 2) / 2) ** 0.5
print(f"{sys.argv[2]:<26} {m1:.4f} +- {spread(ours):.4f}       {m2:.4f} +- {spread(torch):.4f}       "
      f"{m1 - m2:+.4f} ({(m1 - m2) / pooled:+.1f} spreads)")
print("    seeds: ours " + " ".join(f"{v:.4f}" for v in ours) + "; PyTorch " +
      " ".join(f"{v:.4f}" for v in torch))
PY
done
