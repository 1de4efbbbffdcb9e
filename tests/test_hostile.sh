#!/bin/bash
# Bad files and races, as an adversarial user makes them: a results file with a byte
# changed in an object header or cut short at several offsets, after a clean close and
# after a SIGKILL, ends a sweep and a fit within 10 s with one line of ours and the file
# unchanged; `scalesweep recover` copies its intact runs, from which the sweep resumes to
# the results of an uninterrupted one; two sweeps writing one file through a symbolic link
# (or a hard link) never share it; a checkpoint of another run is not continued; outputs
# that are not results files are refused by --dry-run; a file without rows is not fitted
# nor changed; an interrupted run whose checkpoint cannot be written says so; the train
# command checks its checkpoint path and its warmup before it trains.
#   test_hostile.sh BUILD_DIR DATA_DIR
set -u
bin="$(cd "$1" && pwd)/scalesweep"
data=$(cd "$2" && pwd)
source "$(dirname "$0")/lib.sh"

ours() { grep -c '^scalesweep' "$1"; } # lines of ours in a log (mpirun adds its own)
not_grep() { ! grep -q "$@"; }
sum() { sha1sum < "$1"; }
flip() { # FILE OFFSET: inverts one byte
    "$python" -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))" "$1" "$2"
}
header_of() { # FILE: the address of /runs' object header, as a reader during a sweep sees it
    "$python" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r', libver='latest', swmr=True)
print(h5py.h5o.get_info(f['runs'].id).addr)" "$1"
}

# ---- a timed stand-in: 40 runs of about 0.1 s each, so a SIGKILL lands mid-sweep ----
cat > stand.ini <<PLAN
[sweep]
trainer = synthetic
output = results.h5
seeds = 2
[model]
params = 1e5, 3e5, 1e6, 3e6
[train]
tokens = 1e6, 2e6, 3e6, 4e6, 5e6
[synthetic]
flops_per_second = 1e14
PLAN
mkdir whole
(cd whole && sweep 3 ../stand.ini)
check "the uninterrupted stand-in sweep exits 0" test $? -eq 0
cp whole/results.h5 clean.h5
mkdir killed
(cd killed && setsid mpirun --oversubscribe -n 3 "$bin" ../stand.ini --quiet --no-fit \
    > /dev/null 2>&1 &)
for _ in $(seq 200); do
    [ "$(rows killed/results.h5)" -ge 6 ] && break
    sleep 0.05
done
pkill -KILL -f "$bin ../stand.ini"
sleep 0.5
pkill -KILL -f "mpirun --oversubscribe -n 3 $bin ../stand.ini" 2> /dev/null
check "the SIGKILLed sweep left a partial file ($(rows killed/results.h5) of 40 rows)" \
    test "$(rows killed/results.h5)" -lt 40
cp killed/results.h5 sigkill.h5
size=$(stat -c %s clean.h5)

# ---- damaged files: within 10 s, one line, the file unchanged ----
damaged() { # ORIGINAL HOW ARG: makes results.h5 from ORIGINAL, damaged by HOW
    rm -rf try && mkdir try && cp "$1" try/results.h5
    case $2 in
        flip) flip try/results.h5 "$3" ;;
        cut) truncate -s "$3" try/results.h5 ;;
    esac
}
for original in clean.h5 sigkill.h5; do
    header=$(header_of "$original")
    size=$(stat -c %s "$original")
    for damage in "flip $((header + 8))" "flip $((header + 40))" "cut $((size - 1))" \
        "cut $((size - 100))" "cut $((size - 4096))" "cut $((size / 2))" "cut 2000"; do
        what="$original, $damage"
        damaged "$original" $damage
        before=$(sum try/results.h5)
        (cd try && timeout 10 mpirun --oversubscribe -n 2 "$bin" ../stand.ini --quiet \
            --no-fit > ../sweep.log 2>&1)
        code=$?
        check "$what: the sweep ends within 10 s with status 2 (got $code)" test "$code" -eq 2
        check "$what: the sweep says it in one line of its own" test "$(ours sweep.log)" -eq 1
        check "$what: the line names the file and what to do" \
            grep -q "results.h5: .*scalesweep recover" sweep.log
        check "$what: the sweep left the file unchanged" test "$(sum try/results.h5)" = "$before"
        timeout 10 "$bin" fit try/results.h5 --no-write > fit.log 2>&1
        code=$?
        check "$what: fit --no-write ends within 10 s with status 2 (got $code)" test "$code" -eq 2
        check "$what: fit says it in one line" test "$(wc -l < fit.log)" -eq 1
        timeout 10 "$bin" fit try/results.h5 > fit.log 2>&1
        check "$what: fit (writing) leaves the file unchanged" test "$(sum try/results.h5)" = "$before"
    done
done

# ---- recover: the intact runs into a new file, from which the sweep resumes ----
for cut in 1 4096 $((size / 2)); do
    damaged sigkill.h5 cut $(( $(stat -c %s sigkill.h5) - cut ))
    before=$(sum try/results.h5)
    timeout 10 "$bin" recover try/results.h5 try/new.h5 > recover.log 2>&1
    check "recover of the SIGKILLed file cut by $cut bytes exits 0" test $? -eq 0
    check "recover leaves the damaged file unchanged" test "$(sum try/results.h5)" = "$before"
    copied=$(sed -n 's/.*copied \([0-9,]*\) runs.*/\1/p' recover.log | tr -d ,)
    check "recover says how many runs it copied ($copied)" test -n "$copied"
    check "the recovered file is a valid results file" valid try/new.h5 "${copied:-0}"
    mv try/results.h5 try/damaged.h5
    mv try/new.h5 try/results.h5
    (cd try && sweep 3 ../stand.ini)
    check "the sweep resumes from the recovered file" test $? -eq 0
    check "recovered and resumed: identical to the uninterrupted sweep" same whole/results.h5 \
        try/results.h5
done
damaged sigkill.h5 cut $(( $(stat -c %s sigkill.h5) - 1 ))
"$bin" recover try/results.h5 try/results.h5 > /dev/null 2>&1
check "recover will not write over a file" test $? -eq 2
touch try/exists.h5
"$bin" recover try/results.h5 try/exists.h5 > /dev/null 2>&1
check "recover will not write into an existing file" test $? -eq 2

# ---- two sweeps through a symbolic link, or a hard link, never share a file ----
sed 's/^seeds = 2/seeds = 3/; s/^output = .*/output = alias.h5/' stand.ini > other.ini
mkdir race
cd race
mpirun --oversubscribe -n 2 "$bin" ../stand.ini --quiet --no-fit > a.log 2>&1 &
first=$!
for _ in $(seq 200); do
    [ "$(rows results.h5)" -ge 1 ] && break
    sleep 0.05
done
ln -s results.h5 alias.h5
mpirun --oversubscribe -n 2 "$bin" ../other.ini --force --quiet --no-fit > b.log 2>&1
check "a second sweep through a symbolic link is refused (status $?)" test $? -eq 2
check "the refusal says another process writes the file" grep -q "another process is writing" b.log
sed 's/^output = .*/output = dots\/..\/results.h5/' ../other.ini > dots.ini
mkdir dots
mpirun --oversubscribe -n 2 "$bin" dots.ini --force --quiet --no-fit > c.log 2>&1
check "a second sweep through dots/../ is refused (status $?)" test $? -eq 2
wait "$first"
check "the first sweep ends well (status $?)" test $? -eq 0
cd ..
check "the first sweep's file holds its 40 runs and no other" valid race/results.h5 40
ln race/results.h5 race/hard.h5
sed 's/^output = .*/output = hard.h5/' other.ini > hard.ini
(cd race && sweep 2 ../hard.ini --force 2> hard.log)
check "a results file with two names (hard links) is refused for writing (status $?)" test $? -eq 2
check "the refusal says why" grep -q "hard links" race/hard.log

# ---- a checkpoint of another run is not continued ----
cat > ckpt.ini <<PLAN
[sweep]
output = ckpt.h5
[data]
corpus = $data/brown
eval_tokens = 2048
[model]
shapes = 1x32x2
n_ctx = 32
[train]
batch = 8
tokens = 40k
lr = 3e-3
PLAN
mkdir ckpt_whole ckpt_foreign
(cd ckpt_whole && sweep 2 ../ckpt.ini)
check "the checkpointed plan runs" test $? -eq 0
id=$("$bin" ckpt.ini --dry-run | awk '$1 == 1 { print $2 }')
check "the dry run names the run id ($id)" test -n "$id"
# a whole run of another shape, saved as a checkpoint, put under this run's id
"$bin" train --corpus "$data/brown" --n-layer 2 --d-model 32 --n-head 2 --n-ctx 32 --batch 8 \
    --tokens 40k --lr 3e-3 --checkpoint ckpt_foreign/foreign.ckpt > /dev/null 2>&1
check "train wrote the foreign checkpoint" test -s ckpt_foreign/foreign.ckpt
mkdir ckpt_foreign/ckpt.h5.checkpoints
mv ckpt_foreign/foreign.ckpt "ckpt_foreign/ckpt.h5.checkpoints/$id.ckpt"
(cd ckpt_foreign && sweep 2 ../ckpt.ini 2> ../foreign.log)
check "the sweep with a foreign checkpoint exits 0" test $? -eq 0
check "it says the checkpoint belongs to another run" grep -q "checkpoint of another run" foreign.log
check "and the run started afresh: identical to the sweep without it" same ckpt_whole/ckpt.h5 \
    ckpt_foreign/ckpt.h5

# ---- outputs that are not results files: refused by --dry-run, with FILE:LINE ----
printf 'some notes\n' > notes.txt
ln -s nowhere.h5 dangling.h5
for case in "notes.txt:is not an HDF5 file" "out.ini:is this plan" \
    "$data/brown/train.txt:is the corpus" "dangling.h5:symbolic link to a file that does not"; do
    output=${case%%:*}
    expect=${case#*:}
    sed "s|^output = .*|output = $output|" ckpt.ini > out.ini
    "$bin" out.ini --dry-run > out.log 2>&1
    check "output = $output: --dry-run refuses it (status $?)" test $? -eq 2
    check "output = $output: out.ini:2: [sweep] output: ... $expect" \
        grep -q "^out.ini:2: \[sweep\] output: .*$expect" out.log
    check "output = $output: one line only" test "$(wc -l < out.log)" -eq 1
done
check "the dangling link is still dangling (nothing was created)" test ! -e nowhere.h5

# ---- a file without rows: not fitted, not changed ----
cp clean.h5 empty.h5
"$python" -c "
import h5py
with h5py.File('empty.h5', 'r+', libver='latest') as f:
    f['runs'].resize((0,)); f['curves'].resize((0,))"
before=$(sum empty.h5)
"$bin" fit empty.h5 > empty.log 2>&1
check "fit of a file without rows exits 2 (got $?)" test $? -eq 2
check "it says there is nothing to fit" grep -q "no runs in /runs yet" empty.log
check "it does not claim to have written /fits" not_grep "wrote /fits" empty.log
check "the file without rows is unchanged" test "$(sum empty.h5)" = "$before"

# ---- SIGUSR1 when a checkpoint cannot be written: says so, does not name a file ----
sed 's/^tokens = 40k/tokens = 4M/; s/^lr = 3e-3/lr = 3e-3\ncheckpoint_seconds = 0/' ckpt.ini \
    > usr1.ini
mkdir usr1
id=$("$bin" usr1.ini --dry-run | awk '$1 == 1 { print $2 }')
mkdir -p "usr1/ckpt.h5.checkpoints/$id.ckpt.tmp" # the save's temporary file cannot be made
cd usr1
mpirun --oversubscribe -n 2 "$bin" ../usr1.ini --quiet --no-fit 2> usr1.log &
job=$!
sleep 2
kill -USR1 "$job"
wait "$job"
check "SIGUSR1 exits 75 (got $?)" test $? -eq 75
cd ..
check "the interruption says the checkpoint could not be written" \
    grep -q "checkpoint could not be written, so it starts afresh" usr1/usr1.log
check "and does not claim a checkpoint to continue from" not_grep "continues from" usr1/usr1.log

# ---- train checks before it trains ----
"$bin" train --corpus "$data/brown" --tokens 40k --checkpoint missing_dir/x.ckpt > train.out \
    2> train.err
check "train --checkpoint into a missing folder exits 2 (got $?)" test $? -eq 2
check "before training (no curve printed)" test ! -s train.out
check "naming the folder" grep -q "missing_dir does not exist" train.err
"$bin" train --corpus "$data/brown" --tokens 40k --warmup-steps 1e15 > train.out 2> train.err
check "train --warmup-steps 1e15 exits 2 (got $?)" test $? -eq 2
check "saying warmup_steps is too long" grep -q "warmup_steps must be fewer" train.err
"$bin" train --corpus "$data/brown" --n-layer 1 --d-model 65536 --n-head 65536 --n-ctx 65536 \
    --batch 65536 --eval-tokens 65536 > train.out 2> train.err
check "train of a 1x65536x65536 model at n_ctx 65536 exits 2 (got $?), no overflow" test $? -eq 2
check "saying what the limit is" grep -q "more than 2^40 floats" train.err
"$bin" train --corpus "$data/brown" --weight-decay 1e39 > train.out 2> train.err
check "train --weight-decay 1e39 exits 2 (got $?)" test $? -eq 2

"$bin" train --corpus "$data/brown" --lr fast > train.out 2> train.err
check "train --lr fast exits 2 (got $?)" test $? -eq 2
check "naming what --lr takes" grep -q "expected a number above 0, auto or kaplan" train.err
"$bin" train --corpus "$data/brown" --batch 0 > train.out 2> train.err
check "train --batch 0 exits 2 (got $?)" test $? -eq 2
check "naming what --batch takes" grep -q "a count from 1 to 65536, or auto" train.err
"$bin" train --corpus "$data/brown" --n-layer 96 --d-model 4096 --n-head 32 --lr kaplan \
    > train.out 2> train.err
check "train --lr kaplan past N = 1.2e10 exits 2 (got $?)" test $? -eq 2
check "saying Kaplan's LR(N) is not positive there" grep -q "kaplan is not positive" train.err
# the rules resolve per run: 40k tokens of n_ctx 32 give 78 steps of 16, too few: batch 4
"$bin" train --corpus "$data/brown" --n-layer 1 --d-model 32 --n-head 1 --n-ctx 32 \
    --tokens 40k --evaluations 1 --quiet > train.out 2> train.err
check "train with the default batch auto trains batch 4 (313 steps)" \
    grep -q "batch=4" train.out
"$bin" train --corpus "$data/brown" --n-layer 1 --d-model 32 --n-head 1 --n-ctx 32 \
    --tokens 40k --evaluations 1 --quiet --batch auto --lr auto > auto.out 2> train.err
grep -E "^(shape|lr|test_loss) " train.out > defaults.lines
grep -E "^(shape|lr|test_loss) " auto.out > auto.lines
check "--batch auto --lr auto are the defaults (same batch, lr and loss)" \
    sh -c 'test -s defaults.lines && cmp -s defaults.lines auto.lines' 

report "test_hostile"
