#!/bin/bash
# A stand-in for build/scalesweep under srun, to test slurm/scalesweep.sbatch's own logic
# (signal forwarding, requeue, exit statuses) without training anything:
#
#   fake_scalesweep.sh PLAN [options]
#
# Each task appends "start RANK RESTART_COUNT" to FAKE_DIR/events. Then:
#   FAKE_EXIT=S        exit S at once;
#   FAKE_DIR/finished  exists: exit 0 at once (the sweep is complete);
#   otherwise          wait up to FAKE_WAIT seconds (default 60) for SIGUSR1, SIGTERM or
#                      SIGINT; on one, append "signal NAME RANK", create FAKE_DIR/finished
#                      and exit 75 (interrupted, as scalesweep does); with none, exit 0.
set -u
dir=${FAKE_DIR:?FAKE_DIR is not set}
rank=${SLURM_PROCID:-0}
got=
for signal in USR1 TERM INT; do
    # shellcheck disable=SC2064 # the signal's name, expanded now
    trap "got=$signal" "$signal"
done
# after the traps: a test that sees this line may signal the task
echo "start $rank ${SLURM_RESTART_COUNT:-0}" >> "$dir/events"
if [ -n "${FAKE_EXIT:-}" ]; then
    exit "$FAKE_EXIT"
fi
[ -e "$dir/finished" ] && exit 0
# `wait` returns as soon as a trapped signal comes (a foreground sleep would not).
deadline=$((SECONDS + ${FAKE_WAIT:-60}))
while [ -z "$got" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 1 &
    wait $! 2> /dev/null
done
if [ -n "$got" ]; then
    echo "signal $got $rank" >> "$dir/events"
    touch "$dir/finished"
    exit 75
fi
exit 0
