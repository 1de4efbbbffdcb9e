#!/bin/bash
# `scalesweep report` as a user meets it: the report of a stand-in sweep (every figure) and
# of a tiny real one, each figure a PNG and an SVG of the stated size, the page loaded by
# headless Chromium with every image and no console error; a sweep whose data cannot
# support some figures leaves them out with their reasons; bad arguments fail clearly.
#   test_report.sh BUILD_DIR DATA_DIR
set -u
bin="$(cd "$1" && pwd)/scalesweep"
data="$(cd "$2" && pwd)"
source "$(dirname "$0")/lib.sh"
all=loss_n,loss_d,loss_c,curves,isoflop,contours,residuals,seeds,overfitting

# ---- the stand-in: a grid of N x D with two seeds, and IsoFLOP budgets in it ----
cat > grid.ini <<PLAN
[sweep]
trainer = synthetic
output = grid.h5
seeds = 2
[model]
params = 1e5, 3e5, 1e6, 3e6, 1e7, 3e7
[train]
tokens = 1e6, 3e6, 1e7, 3e7, 1e8, 3e8
[fit]
bootstrap = 60
PLAN
sweep 2 grid.ini
check "the stand-in sweep exits 0" test $? -eq 0
"$bin" report grid.h5 > grid.log 2>&1
check "report exits 0" test $? -eq 0
check "it says where the page is" grep -q "grid.h5.report/index.html" grid.log
check "every figure of one source, valid, and the page in a browser; the transfer law, the shape and the losses by position (the synthetic trainer has none) left out" \
    "$python" "$tests/check_report.py" grid.h5.report "$all" --left transfer,shape,positions
check "the headline gives Chinchilla's exponents with intervals" \
    grep -qE "Chinchilla L\(N, D\)</b>: alpha = 0\.3[0-9]* \[[0-9.]+, [0-9.]+\], beta = 0\.2" grid.h5.report/index.html
check "the provenance names the BLAS core and the command line" \
    grep -q "BLAS core (rank 0)</th><td>[A-Za-z]" grid.h5.report/index.html
# the bands are the bootstrap's: with none, the laws are drawn without them (and still drawn)
"$bin" report grid.h5 -o nobands --bootstrap 0 --summary > nobands.txt 2>&1
check "report --bootstrap 0 -o DIR exits 0" test $? -eq 0
check "... into DIR, every figure" "$python" "$tests/check_report.py" nobands "$all" --no-browser
check "... --summary prints the laws without intervals" grep -qE "^  Chinchilla L\(N, D\) +alpha = [0-9.]+, beta" nobands.txt
check "... the legend says no band" "$python" -c "
a, b = open('grid.h5.report/loss_n.svg').read(), open('nobands/loss_n.svg').read()
assert a != b"

# ---- a sweep writes its report when it completes, and prints a short summary ----
sed 's/^output = grid.h5/output = end.h5/' grid.ini > end.ini
mpirun --oversubscribe -n 2 "$bin" end.ini > end.out 2> end.err
check "a sweep with its fit exits 0" test $? -eq 0
check "it writes its report beside the results" "$python" "$tests/check_report.py" end.h5.report "$all" --no-browser
check "it says where the report is" grep -q "end.h5.report/index.html" end.err
check "its summary on stdout is short: 16 lines at most" test "$(wc -l < end.out)" -le 16
check "... and names Chinchilla's exponents" grep -qE "^  Chinchilla L\(N, D\) +alpha = " end.out
check "... and the report's headline has the same numbers" "$python" -c "
import re
line = [l for l in open('end.out') if l.startswith('  Chinchilla')][0]
values = line.split(None, 3)[3].strip()
assert values in open('end.h5.report/index.html').read(), values"
sed 's/^output = grid.h5/output = off.h5\nreport = false/' grid.ini > off.ini
mpirun --oversubscribe -n 2 "$bin" off.ini > off.out 2> off.err
check "with report = false the sweep exits 0" test $? -eq 0
check "... and writes no report" test ! -e off.h5.report
check "... but still fits the laws" "$python" -c "
import h5py; assert 'fits' in h5py.File('off.h5', 'r')"

# ---- what one model size and one seed cannot support: left out, with reasons ----
cat > thin.ini <<PLAN
[sweep]
trainer = synthetic
output = thin.h5
[model]
params = 1e6
[train]
tokens = 1e6, 1e7, 1e8, 1e9
PLAN
sweep 2 thin.ini
"$bin" report thin.h5 --summary > thin.txt 2> thin.log
check "report of a thin sweep exits 0" test $? -eq 0
check "it draws L(D), L(C) and the curves, and leaves out the rest with reasons" \
    "$python" "$tests/check_report.py" thin.h5.report loss_d,loss_c,curves \
    --left loss_n,isoflop,contours,residuals,seeds,overfitting,shape --no-browser
check "the summary says what to run for L(N)" \
    grep -qE "L\(N\).*not determined: needs three or more model sizes \(now 1\)" thin.txt
check "... and for the seed spread" grep -qE "seed spread.*needs seeds = 2 or more" thin.txt
# a report over an older one: figures the data no longer support do not stay behind
"$bin" report grid.h5 -o again -q
check "a first report draws the seeds" test -e again/seeds.png
"$bin" report thin.h5 -o again -q
check "a report over an older one removes the figures it leaves out" test ! -e again/seeds.png
mkdir mine && echo notes > mine/notes.txt
"$bin" report grid.h5 -o mine > mine.log 2>&1
check "a folder of other files is refused with exit 1" test $? -eq 1
check "... saying why, and its files are left alone" \
    sh -c 'grep -q "not a scalesweep report" mine.log && test "$(ls mine)" = notes.txt'

# ---- depth against width: shapes of two N, three depths each ----
cat > shape.ini <<PLAN
[sweep]
trainer = synthetic
output = shape.h5
seeds = 2
[model]
shapes = 1x128x4, 2x91x7, 4x64x2, 1x256x8, 2x180x6, 4x128x4
[train]
tokens = 3M
[fit]
laws = n, shape
bootstrap = 40
PLAN
sweep 2 shape.ini
"$bin" report shape.h5 -q
check "shapes of equal N at several depths: the shape figure, valid" \
    "$python" "$tests/check_report.py" shape.h5.report loss_n,seeds,shape --no-browser

# ---- a tiny real sweep: transformers on Brown ----
cat > tiny.ini <<PLAN
[sweep]
output = tiny.h5
seeds = 2
[data]
corpus = $data/brown
eval_tokens = 2048
[model]
shapes = 1x32x2, 2x32x2, 2x48x2
n_ctx = 32
[train]
batch = 8
tokens = 16k, 32k, 64k
lr = 3e-3
[fit]
bootstrap = 40
PLAN
sweep 3 tiny.ini
check "the tiny transformer sweep exits 0" test $? -eq 0
"$bin" report tiny.h5 -o tiny > tiny.log 2>&1
check "its report exits 0" test $? -eq 0
check "its figures are valid and the page loads in a browser" \
    "$python" "$tests/check_report.py" tiny loss_n,loss_d,loss_c,curves,seeds,positions
check "the runs table lists its 18 runs" test "$(grep -c '<tr><td><code>' tiny/index.html)" -eq 18

# ---- bad arguments ----
"$bin" report missing.h5 > missing.log 2>&1
check "a missing file exits 2" test $? -eq 2
check "... naming it" grep -q "missing.h5" missing.log
touch afile
"$bin" report grid.h5 -o afile > afile.log 2>&1
check "a folder that is a file exits 1" test $? -eq 1
check "... saying so" grep -q "afile: exists and is not a folder" afile.log
PLPLOT_DRV_DIR=/nowhere "$bin" report grid.h5 -o nodrivers > nodrivers.log 2>&1
check "without PLplot's cairo drivers: exit 1" test $? -eq 1
check "... saying what to install" grep -q "apt-get install plplot-driver-cairo" nodrivers.log
"$bin" report > none.log 2>&1
check "no file exits 2 with usage" test $? -eq 2
"$bin" report grid.h5 --bootstrap x > bad.log 2>&1
check "a bad option value exits 2" test $? -eq 2
report "test_report"
