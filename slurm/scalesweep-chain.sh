#!/bin/bash
# A sweep larger than one allocation, as a chain of COUNT batch jobs that run one after
# the other, each continuing the same results file where the previous one stopped.
#
#   slurm/scalesweep-chain.sh COUNT [sbatch options] -- PLAN.ini [scalesweep options]
#   slurm/scalesweep-chain.sh 5 --ntasks=65 --time=1-00:00:00 -- plan.ini
#
# Job k+1 depends on job k with afterany: it starts once job k has ended, however it
# ended (finished, interrupted at its time limit, cancelled, failed), so two jobs never
# write the results file at once (the file's lock, PATH.lock, would refuse the second).
# Each job runs slurm/scalesweep.sbatch with SCALESWEEP_REQUEUE=no: an interrupted job
# does not requeue itself but ends with status 75, and the next job of the chain takes
# over. Jobs that start after the sweep is complete find nothing left and end in seconds.
#
# This is for sites that forbid or limit requeueing, or to queue several allocations in
# advance. Where requeueing is allowed, one `sbatch slurm/scalesweep.sbatch PLAN.ini` does
# the same by itself. A job array does too:
#   sbatch --array=1-5%1 --export=ALL,SCALESWEEP_REQUEUE=no slurm/scalesweep.sbatch PLAN.ini
# (%1: one element at a time). Prints the job ids, one a line, first to last.
set -eu
usage() {
    echo "usage: $0 COUNT [sbatch options] -- PLAN.ini [scalesweep options]" >&2
    exit 2
}
[ $# -ge 3 ] || usage
count=$1
shift
case "$count" in
    '' | *[!0-9]* | 0) usage ;;
esac
sbatch_options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    sbatch_options+=("$1")
    shift
done
[ $# -ge 2 ] || usage
shift # the --
here=$(cd "$(dirname "$0")" && pwd)

previous=
for _ in $(seq "$count"); do
    dependency=()
    if [ -n "$previous" ]; then
        # afterany: after the previous job, whatever its end; a chain whose previous
        # job can no longer run (cancelled while pending) is cancelled rather than stuck.
        dependency=(--dependency="afterany:$previous" --kill-on-invalid-dep=yes)
    fi
    previous=$(SCALESWEEP_REQUEUE=no sbatch --parsable "${dependency[@]}" "${sbatch_options[@]}" \
        "$here/scalesweep.sbatch" "$@")
    previous=${previous%%;*} # --parsable prints "id" or "id;cluster"
    echo "$previous"
done
