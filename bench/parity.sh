#!/bin/sh
# Parity with PyTorch, side by side in one run: the same configurations trained by
# `scalesweep train` and by bench/parity.py (the same model written the usual way in
# PyTorch, one thread, the same corpus files, schedule and held-out windows), over several
# seeds. Prints each configuration's mean held-out loss with its seed spread for both, and
# their difference in standard errors of the difference (which shrink as seeds are added),
# so that a drift of the implementation away from the reference shows as a number.
#   bench/parity.sh [seeds] [corpus]        (from the repository root, after a build;
#                                           needs Debian's python3-torch; corpus: a
#                                           folder with train.txt and test.txt)
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
trap 'rm -f "$out" "$out.run"' EXIT
list=$(seq 1 "$seeds")
printf '%-26s %-22s %-22s %s\n' "L,C,H,T,B,D,lr" "scalesweep" "PyTorch" "difference"
for config in $configs; do
    IFS=, read -r L C H T B D LR <<EOC
$config
EOC
    : > "$out"
    for seed in $list; do
        # each run on its own: its exit status counts (a diverged run exits 3)
        if ! build/scalesweep train --corpus "$corpus" --n-layer "$L" --d-model "$C" \
            --n-head "$H" --n-ctx "$T" --batch "$B" --tokens "$D" --lr "$LR" --seed "$seed" \
            --evaluations 1 --quiet > "$out.run"; then
            echo "bench/parity.sh: scalesweep train failed or diverged ($config, seed $seed)" >&2
            exit 1
        fi
        awk -v s="$seed" '$1 == "test_loss" { print "ours", s, $2 }' "$out.run" >> "$out"
    done
    if ! /usr/bin/python3 "$(dirname "$0")/parity.py" "$corpus" "$config" $list > "$out.run"; then
        echo "bench/parity.sh: bench/parity.py failed ($config)" >&2
        exit 1
    fi
    awk '{ print "torch", $1, $2 }' "$out.run" >> "$out"
    /usr/bin/python3 - "$out" "$config" "$seeds" <<'PY'
import math, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
ours = [float(r[2]) for r in rows if r[0] == "ours"]
torch = [float(r[2]) for r in rows if r[0] == "torch"]
seeds = int(sys.argv[3])
if len(ours) != seeds or len(torch) != seeds or not all(map(math.isfinite, ours + torch)):
    sys.exit(f"bench/parity.sh: {sys.argv[2]}: {len(ours)} and {len(torch)} finite losses, want {seeds} each")
def spread(v):
    return statistics.stdev(v) if len(v) > 1 else float("nan")
m1, m2 = statistics.mean(ours), statistics.mean(torch)
# the standard error of the difference of the means: it shrinks as seeds are added
error = math.sqrt(spread(ours) ** 2 / len(ours) + spread(torch) ** 2 / len(torch))
print(f"{sys.argv[2]:<26} {m1:.4f} +- {spread(ours):.4f}       {m2:.4f} +- {spread(torch):.4f}       "
      f"{m1 - m2:+.4f} ({(m1 - m2) / error:+.1f} standard errors)")
print("    seeds: ours " + " ".join(f"{v:.4f}" for v in ours) + "; PyTorch " +
      " ".join(f"{v:.4f}" for v in torch))
PY
done
