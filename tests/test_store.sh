#!/bin/sh
# The results store as users see it: test_store writes files through the C API, then
# h5py (check_results.py) and h5dump read them.
#   test_store.sh BUILD_TESTS_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1/test_store" "$dir"
for f in results.h5:65 crash.h5:300 refuse.h5:12 orphan.h5:5 swmr.h5:35; do
    /usr/bin/python3 "$here/check_results.py" "$dir/${f%%:*}" "${f##*:}"
done
h5dump -H "$dir/results.h5" > "$dir/header.txt"
grep -q '"runs"' "$dir/header.txt" && grep -q '"curves"' "$dir/header.txt" &&
    grep -q 'schema_version' "$dir/header.txt" || { echo "FAIL: h5dump -H lacks /runs, /curves or schema_version"; exit 1; }
echo "test_store.sh: h5py and h5dump read every file"
