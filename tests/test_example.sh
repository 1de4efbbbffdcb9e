#!/bin/bash
# The downstream example (examples/law_of_n.py) as a user runs it: on a stand-in sweep with
# its fit, it reads /runs and /curves into pandas and draws L(N) with matplotlib. The PNG
# is a real, non-blank image of the stated size, and the law it prints is /fits' own.
#   test_example.sh BUILD_DIR
set -u
bin="$(cd "$1" && pwd)/scalesweep"
source "$(dirname "$0")/lib.sh"
example="$tests/../examples/law_of_n.py"

cat > example.ini <<PLAN
[sweep]
trainer = synthetic
output = example.h5
seeds = 2
[model]
params = 1e5, 3e5, 1e6, 3e6, 1e7
[train]
tokens = 1e7, 1e8, 1e9
[fit]
bootstrap = 100
PLAN
mpirun --oversubscribe -n 2 "$bin" example.ini --quiet > /dev/null 2>&1
check "the stand-in sweep with its fit exits 0" test $? -eq 0
"$python" "$example" example.h5 law.png > example.txt 2> example.err
check "the example exits 0" test $? -eq 0
check "it says where the figure went" grep -q "^wrote law.png$" example.txt
check "the figure is a PNG of 1000 x 400 pixels, not blank" "$python" -c "
import struct
import matplotlib.image
data = open('law.png', 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
width, height = struct.unpack('>II', data[16:24])
assert (width, height) == (1000, 400), (width, height)
image = matplotlib.image.imread('law.png')
colours = len({tuple(p) for p in (image.reshape(-1, image.shape[-1]) * 255).astype(int)})
assert colours > 50, colours"
check "it counts the runs L(N) uses: both seeds of 5 sizes at their largest D" \
    grep -q "^example.h5: 10 runs at 5 model sizes$" example.txt
check "the law it prints is the fit's own" "$python" -c "
import h5py, re
text = open('example.txt').read()
alpha = float(re.search(r'alpha = ([0-9.e+-]+) ', text).group(1))
q = {r['name'].decode(): r['value'] for r in h5py.File('example.h5', 'r')['fits/L_N/quantities'][:]}
assert abs(alpha - q['alpha']) <= 1e-5 * abs(q['alpha']), (alpha, q['alpha'])"
"$python" "$example" > usage.txt 2>&1
check "without a file it prints its usage and fails" test $? -ne 0
report "test_example"
