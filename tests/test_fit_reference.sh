#!/bin/sh
# Chinchilla's fit, C against scipy: the same 240 points (Chinchilla's published law at
# 12 IsoFLOP budgets, 1% noise, numpy seed 0), the same grid of starts (every 10th of the
# 4,500, to keep CI short; bench/fit.sh runs the whole grid), the same objective. The
# optimum must agree: objectives within 1e-8 (relative) or every parameter within 1e-4,
# and ours no higher than scipy's. The C fit runs twice, on this machine's BLAS kernel
# and on OpenBLAS's Prescott kernel (SSE3, on any x86-64): other rounding in GSL's BFGS,
# the same optimum (every parameter within 1e-6).
#   tests/test_fit_reference.sh TEST_FIT_BINARY TESTS_DIR
set -eu
test_fit=$1
tests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/data.csv" <<'PY'
import sys
import numpy as np
rng = np.random.RandomState(0)
law = lambda n, d: 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
sizes = 4.4e7 * (16e9 / 4.4e7) ** (np.arange(30) / 29)
with open(sys.argv[1], "w") as f:
    f.write("N,D,loss\n")
    for c in 1e18 * 1000.0 ** (np.arange(12) / 11):
        best = int(np.argmin([law(n, c / (6 * n)) for n in sizes]))
        first = min(max(best - 10, 0), 10)
        for n in sizes[first:first + 20]:
            d = c / (6 * n)
            f.write("%.17g,%.17g,%.17g\n" % (n, d, law(n, d) * np.exp(0.01 * rng.randn())))
PY
"$test_fit" --fit-csv "$work/data.csv" --stride 10 > "$work/ours.json"
OPENBLAS_CORETYPE=Prescott "$test_fit" --fit-csv "$work/data.csv" --stride 10 > "$work/prescott.json"
/usr/bin/python3 "$tests/fit_reference.py" "$work/data.csv" --stride 10 > "$work/scipy.json"
/usr/bin/python3 - "$work/ours.json" "$work/scipy.json" "$work/prescott.json" <<'PY'
import json, sys
ours, ref, prescott = (json.load(open(p)) for p in sys.argv[1:4])
relative = abs(ours["objective"] - ref["objective"]) / ref["objective"]
worst = max(abs(ours[k] - ref[k]) / max(1.0, abs(ref[k])) for k in ("a", "b", "e", "alpha", "beta"))
print("C      objective %.15g  a %.6f b %.6f e %.6f alpha %.6f beta %.6f  %.3f s"
      % (ours["objective"], ours["a"], ours["b"], ours["e"], ours["alpha"], ours["beta"], ours["seconds"]))
print("scipy  objective %.15g  a %.6f b %.6f e %.6f alpha %.6f beta %.6f  %.3f s"
      % (ref["objective"], ref["a"], ref["b"], ref["e"], ref["alpha"], ref["beta"], ref["seconds"]))
print("relative objective difference %.3g, largest parameter difference %.3g" % (relative, worst))
kernels = max(abs(ours[k] - prescott[k]) / max(1.0, abs(ours[k])) for k in ("a", "b", "e", "alpha", "beta"))
print("on the Prescott kernel: objective %.15g, largest parameter difference %.3g"
      % (prescott["objective"], kernels))
checks = [("the same optimum as scipy", relative <= 1e-8 or worst <= 1e-4),
          ("no higher than scipy's", ours["objective"] <= ref["objective"] * (1 + 1e-9)),
          ("the same optimum on the Prescott kernel", kernels <= 1e-6)]
for what, ok in checks:
    if not ok:
        print("FAIL: " + what)
failed = sum(not ok for _, ok in checks)
print("fit_reference: %d passed, %d failed" % (len(checks) - failed, failed))
sys.exit(1 if failed else 0)
PY
