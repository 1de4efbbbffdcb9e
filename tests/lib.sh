# Shared by the shell tests (sourced): a scratch folder, MPI as these machines need it, a
# quiet sweep of the caller's $bin, a check counter, and readers of results files. Sets
# $tests (this folder), $tmp (the scratch folder, removed at exit; the caller is cd'd into
# it) and $python.
tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# shared memory only: tests must not touch any network
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under AddressSanitizer, leak checking is off for MPI processes: Open MPI keeps
# allocations until exit in components it has unloaded by then, which LeakSanitizer can
# neither name nor suppress. Memory errors and undefined behaviour are still caught, and
# the orchestrator's and the fit's parts are leak-checked by their own C tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

passed=0
failed=0
check() { # WHAT COMMAND...: one check, passed when the command succeeds
    local what=$1
    shift
    if "$@" > "$tmp/check.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what"
        tail -5 "$tmp/check.log" | sed 's/^/    /'
    fi
}
report() { # NAME: the closing line, and the exit status
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
sweep() { # ranks plan [options]: a quiet sweep of $bin, its exit status
    local ranks=$1
    shift
    mpirun --oversubscribe -n "$ranks" "$bin" "$@" --quiet --no-fit
}
same() { "$python" "$tests/compare_results.py" "$1" "$2"; }   # A.h5 B.h5: bit for bit
valid() { "$python" "$tests/check_results.py" "$1" "$2"; }    # FILE RUNS: h5py checks
rows() { # FILE: rows in /runs now (0 if unreadable), as a reader during a sweep sees it
    "$python" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r',libver='latest',swmr=True)['runs']))" "$1" 2> /dev/null || echo 0
}
