#!/usr/bin/python3
"""Two results files hold the same sweep: the same runs, each exactly once, with
bit-identical losses, curves, per-source losses and losses by position (timing, rank,
width and host may differ).

    compare_results.py A.h5 B.h5
"""
import sys

import h5py
import numpy as np

# Columns that describe where and how fast a run went, not what it computed.
CIRCUMSTANTIAL = {"seconds", "eval_seconds", "tokens_per_second", "rank", "ranks", "host", "curve_offset"}


def load(path):
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        runs = f["runs"][:]
        curves = f["curves"][:]
        # row k of each is of run k of /runs (schema 8; S rows a run for /source_losses)
        positions = f["position_losses"][:len(runs)] if "position_losses" in f else None
        n_sources = len(f["sources"]) if "sources" in f else 0
        sources = f["source_losses"][:len(runs) * n_sources] if n_sources else None
    ids = [r.decode() for r in runs["run_id"]]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        sys.exit(f"{path}: run ids appear more than once: {dup[:5]}")
    rows = {i: runs[k] for k, i in enumerate(ids)}
    curve_of = {}
    for i, row in rows.items():
        start, n = int(row["curve_offset"]), int(row["curve_length"])
        curve_of[i] = curves[start:start + n]
    extra = {}
    for k, i in enumerate(ids):
        parts = []
        if positions is not None:
            if positions["run_id"][k].decode() != i:
                sys.exit(f"{path}: row {k} of /position_losses is not run {i}'s")
            parts.append(positions["loss"][k].tobytes())
        if sources is not None:
            parts.append(sources[k * n_sources:(k + 1) * n_sources].tobytes())
        extra[i] = b"".join(parts)
    return rows, curve_of, extra


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    a_rows, a_curves, a_extra = load(a_path)
    b_rows, b_curves, b_extra = load(b_path)
    failures = []
    if set(a_rows) != set(b_rows):
        only_a = sorted(set(a_rows) - set(b_rows))
        only_b = sorted(set(b_rows) - set(a_rows))
        failures.append(f"different runs: only in A {only_a[:5]}, only in B {only_b[:5]}")
    checked = 0
    for run_id in sorted(set(a_rows) & set(b_rows)):
        ra, rb = a_rows[run_id], b_rows[run_id]
        for name in ra.dtype.names:
            if name in CIRCUMSTANTIAL:
                continue
            # bit for bit: compare the bytes, so that NaN equals NaN
            if ra[name].tobytes() != rb[name].tobytes():
                failures.append(f"{run_id}: {name} differs: {ra[name]!r} vs {rb[name]!r}")
        ca, cb = a_curves[run_id], b_curves[run_id]
        if ca.tobytes() != cb.tobytes():
            failures.append(f"{run_id}: curves differ ({len(ca)} vs {len(cb)} points)")
        if a_extra[run_id] != b_extra[run_id]:
            failures.append(f"{run_id}: its losses by position or per source differ")
        checked += 1
    for f in failures[:20]:
        print("FAIL:", f)
    print(f"compare_results: {checked - len(failures) if not failures else 0} passed, "
          f"{len(failures)} failed ({checked} runs in {a_path} and {b_path})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
