#!/bin/sh
# Chinchilla's fit, C against scipy: the same 240 points (Chinchilla's published law at
# 12 IsoFLOP budgets, 1% noise, numpy seed 0), the same grid of starts (every 10th of the
# 4,500, to keep CI short; bench/fit.sh runs the whole grid), the same objective. The
# optimum must agree: objectives within 1e-8 (relative) or every parameter within 1e-4.
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
/usr/bin/python3 "$tests/fit_reference.py" "$work/data.csv" --stride 10 > "$work/scipy.json"
/usr/bin/python3 - "$work/ours.json" "$work/scipy.json" <<'PY'
import json, sys
ours, ref = (json.load(open(p)) for p in sys.argv[1:3])
relative = abs(ours["objective"] - ref["objective"]) / ref["objective"]
worst = max(abs(ours[k] - ref[k]) / max(1.0, abs(ref[k])) for k in ("a", "b", "e", "alpha", "beta"))
print("C      objective %.15g  a %.6f b %.6f e %.6f alpha %.6f beta %.6f  %.3f s"
      % (ours["objective"], ours["a"], ours["b"], ours["e"], ours["alpha"], ours["beta"], ours["seconds"]))
print("scipy  objective %.15g  a %.6f b %.6f e %.6f alpha %.6f beta %.6f  %.3f s"
      % (ref["objective"], ref["a"], ref["b"], ref["e"], ref["alpha"], ref["beta"], ref["seconds"]))
print("relative objective difference %.3g, largest parameter difference %.3g" % (relative, worst))
ok = relative <= 1e-8 or worst <= 1e-4
print("fit_reference: %d passed, %d failed" % (int(ok), int(not ok)))
sys.exit(0 if ok else 1)
PY
