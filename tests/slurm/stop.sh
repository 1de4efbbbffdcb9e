#!/bin/bash
# Stops what tests/slurm/start.sh started: slurmd and slurmctld by their pid files, and
# munged if start.sh was the one to start it. Jobs still queued or running are killed first.
# Leaves the folder (logs, configuration) in place; `stop.sh --clean` removes it too.
set -u
dir=${SCALESWEEP_SLURM_DIR:-/tmp/scalesweep-slurm}

stop() { # pidfile program
    local pid
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    # only the program the pid file names: a recycled pid is left alone
    if [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$2" ]; then
        kill "$pid"
        for _ in $(seq 100); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2> /dev/null; then
            echo "slurm: $2 ($pid) ignored SIGTERM for 10 s; killing it" >&2
            kill -KILL "$pid"
        fi
    fi
    rm -f "$1"
}

# Jobs first, at once (SIGKILL, not the 30 s of SIGTERM then SIGKILL of a plain scancel).
export SLURM_CONF=$dir/slurm.conf
if [ -s "$dir/slurmctld.pid" ] && scontrol ping > /dev/null 2>&1; then
    mapfile -t jobs < <(squeue -h -o %A 2> /dev/null)
    if [ "${#jobs[@]}" -gt 0 ]; then
        scancel --full --signal=KILL "${jobs[@]}" 2> /dev/null
        scancel "${jobs[@]}" 2> /dev/null
        for _ in $(seq 50); do
            [ -z "$(squeue -h -t R,CG -o %A 2> /dev/null)" ] && break
            sleep 0.2
        done
    fi
fi
# Then slurmd, so it does not wait for a controller that is gone. Step daemons it left
# (slurmstepd, which outlive slurmd) are ours when they carry start.sh's SLURM_CONF.
stop "$dir/slurmd.pid" slurmd
for pid in $(pgrep -x slurmstepd 2> /dev/null); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qx "SLURM_CONF=$dir/slurm.conf"; then
        kill -KILL "$pid" 2> /dev/null
    fi
done
stop "$dir/slurmctld.pid" slurmctld
if [ -e "$dir/munged.started" ]; then
    stop /run/munge/munged.pid munged
    rm -f "$dir/munged.started"
fi
if [ "${1:-}" = --clean ]; then
    rm -rf "$dir"
fi
echo "slurm: stopped" >&2
