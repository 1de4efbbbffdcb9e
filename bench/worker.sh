#!/bin/sh
# The worker benchmark, side by side in one run: PyTorch's training step on the four
# reference shapes and nn.LSTM's on seven (four batched, three one sequence at a time as the
# trainer steps them; if Debian's python3-torch is installed), then
# ours and the sgemm peak.
#   bench/worker.sh [seconds per shape]        (from the repository root, after a build)
set -eu
seconds=${1:-6}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
shapes="2,64,2,64,16 4,128,4,128,16 4,256,4,128,16 6,384,6,256,8"
# and the LSTM's (bench_worker.c, lstm_configs)
lstm_shapes="lstm:2,64,128,16 lstm:2,128,128,16 lstm:2,256,128,16 lstm:2,304,128,16 lstm:2,128,128,1 lstm:2,256,128,1 lstm:2,304,128,1"
torch_file=$(mktemp)
trap 'rm -f "$torch_file"' EXIT
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), one thread:"
    /usr/bin/python3 "$(dirname "$0")/torch_step.py" "$seconds" $shapes $lstm_shapes | tee "$torch_file"
    echo
    exec build/bench/bench_worker --seconds "$seconds" --pytorch "$torch_file"
fi
echo "(python3-torch not installed: PyTorch's speed is estimated, not measured)"
exec build/bench/bench_worker --seconds "$seconds"
