#!/usr/bin/python3
"""Checks a scalesweep results file (schema 6) the way a user reads it: with h5py, as a
SWMR reader, so that it also works on a file a sweep is still writing.

    /usr/bin/python3 tests/check_results.py RESULTS.h5 [EXPECTED_RUNS]

Checks the root attributes, every column of /runs and /curves and its dtype, that run
ids are unique 16-hex-digit strings, that the runs of one config_id differ in their seed
and in nothing they were configured with, that each row's curve slice holds curve_length
points of that run with increasing steps, tokens = step * batch * n_ctx and
flops = 6 N tokens, that eval_seconds is a part of seconds, that statuses are known, that
/source_losses and /source_curves hold one row per source for every run and every point (the
run's own id and the source of /sources at each place, the final and lowest of each source's
curve), that a run's test loss is its mixture's shares of its sources' losses, and (if pandas
is installed) that the tables load into DataFrames. Ends with "check_results: N passed, M failed" and exits
non-zero on any failure. Needs h5py and NumPy; pandas is optional.
"""
import re
import sys

import h5py
import numpy as np

SCHEMA_VERSION = 8
ARCHITECTURES = {b"transformer", b"lstm"}
STATUSES = {b"ok", b"diverged", b"failed", b"interrupted"}

RUN_COLUMNS = [
    ("run_id", "S17"), ("config_id", "S17"), ("cell_id", "S17"), ("architecture", "S16"),
    ("n_layer", "<i4"), ("d_model", "<i4"), ("n_head", "<i4"),
    ("n_ctx", "<i4"), ("n_params", "<i8"), ("n_params_total", "<i8"), ("tokens", "<i8"),
    ("unique_tokens", "<i8"), ("seed", "<i8"), ("lr", "<f4"), ("batch", "<i4"),
    ("warmup_steps", "<i8"), ("weight_decay", "<f4"), ("beta2", "<f4"), ("grad_clip", "<f4"),
    ("steps", "<i8"), ("flops", "<f8"), ("flops_attention", "<f8"),
    ("final_test_loss", "<f4"), ("best_test_loss", "<f4"), ("best_step", "<i8"),
    ("train_loss", "<f4"), ("stopped_early", "<i4"), ("status", "S16"), ("reason", "S160"),
    ("seconds", "<f8"), ("eval_seconds", "<f8"), ("tokens_per_second", "<f8"), ("rank", "<i4"), ("ranks", "<i4"), ("host", "S64"), ("blas_core", "S32"),
    ("mixture", "S256"),
    ("curve_offset", "<i8"), ("curve_length", "<i8"),
]
CURVE_COLUMNS = [
    ("run_id", "S17"), ("step", "<i8"), ("tokens", "<i8"), ("flops", "<f8"),
    ("train_loss", "<f4"), ("test_loss", "<f4"), ("lr", "<f4"),
]
POSITION_COLUMNS = [("run_id", "S17"), ("loss", ("<f4", (256,)))]
SOURCE_COLUMNS = [("name", "S64"), ("path", "S1024"), ("train_bytes", "<i8"), ("test_bytes", "<i8")]
SOURCE_LOSS_COLUMNS = [("run_id", "S17"), ("source", "S64"), ("final_loss", "<f4"),
                       ("best_loss", "<f4"), ("best_step", "<i8")]
SOURCE_POINT_COLUMNS = [("run_id", "S17"), ("source", "S64"), ("step", "<i8"), ("tokens", "<i8"),
                        ("flops", "<f8"), ("test_loss", "<f4")]
ROOT_TEXT = ["scalesweep_version", "plan_text", "plan_hash", "command_line", "created",
             "blas_core", "blas_config"]
HEX16 = re.compile(rb"^[0-9a-f]{16}$")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, message):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + message)
        return bool(ok)


def text(value):
    """An attribute as str: h5py gives str for variable-length strings, bytes otherwise."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def check_columns(c, dataset, columns):
    name = dataset.name
    fields = dataset.dtype.fields or {}
    for column, want in columns:
        if c.check(column in fields, f"{name} has no column {column}"):
            got = fields[column][0]
            c.check(got == np.dtype(want),
                    f"{name} column {column} has dtype {got.str}, want {np.dtype(want).str}")
    for attribute in ("units", "descriptions"):
        values = dataset.attrs.get(attribute)
        c.check(values is not None and len(values) == len(dataset.dtype.names or ()),
                f"{name} attribute {attribute} has one entry per column")


def check_positions(c, runs, positions):
    """/position_losses: row k is the run of row k of /runs, NaN past its n_ctx, and where it
    has losses (n_ctx <= 256) their mean is its final test loss."""
    if not c.check(len(positions) == len(runs) and
                   bool(np.all(positions["run_id"] == runs["run_id"])),
                   f"/position_losses has {len(positions)} rows, not one per row of /runs in "
                   "order"):
        return
    for i, row in enumerate(runs):
        T = int(row["n_ctx"])
        loss = positions["loss"][i]
        if T < 256 and not c.check(bool(np.all(np.isnan(loss[T:]))),
                                   f"row {i}: position losses past n_ctx {T} are not NaN"):
            return
        have = loss[:min(T, 256)]
        if T <= 256 and np.all(np.isfinite(have)) and np.isfinite(row["final_test_loss"]):
            mean = float(np.mean(have.astype(np.float64)))
            if not c.check(abs(mean - float(row["final_test_loss"])) <= 1e-4 * abs(mean),
                           f"row {i}: the mean of its position losses {mean:.6f} is not its "
                           f"final test loss {row['final_test_loss']:.6f}"):
                return


def check_file(c, path, expected_runs):
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        c.check(int(f.attrs.get("schema_version", -1)) == SCHEMA_VERSION,
                f"schema_version is {f.attrs.get('schema_version')}, want {SCHEMA_VERSION}")
        for key in ROOT_TEXT:
            c.check(key in f.attrs, f"root attribute {key} missing")
        c.check(float(f.attrs.get("sgemm_gflops", 0)) > 0,
                f"sgemm_gflops {f.attrs.get('sgemm_gflops')} is not a measured rate")
        c.check(HEX16.match(text(f.attrs.get("plan_hash", "")).encode()) is not None,
                f"plan_hash {text(f.attrs.get('plan_hash', ''))!r} is not 16 hex digits")
        c.check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", text(f.attrs.get("created", "")))
                is not None, f"created {text(f.attrs.get('created', ''))!r} is not ISO 8601 UTC")
        if not (c.check("runs" in f, "no /runs") and c.check("curves" in f, "no /curves")):
            return None
        check_columns(c, f["runs"], RUN_COLUMNS)
        check_columns(c, f["curves"], CURVE_COLUMNS)
        for name, columns in (("sources", SOURCE_COLUMNS), ("source_losses", SOURCE_LOSS_COLUMNS),
                              ("source_curves", SOURCE_POINT_COLUMNS),
                              ("position_losses", POSITION_COLUMNS)):
            if c.check(name in f, f"no /{name}"):
                check_columns(c, f[name], columns)
        if c.failed:
            return None
        runs = f["runs"][:]
        curves = f["curves"][:]
        sources = f["sources"][:]
        source_losses = f["source_losses"][:]
        source_curves = f["source_curves"][:]
        positions = f["position_losses"][:]
    check_sources(c, runs, curves, sources, source_losses, source_curves)
    check_positions(c, runs, positions)

    n = len(runs)
    if expected_runs is not None:
        c.check(n == expected_runs, f"/runs has {n} rows, want {expected_runs}")
    ids = runs["run_id"]
    bad = [i for i, run_id in enumerate(ids) if not HEX16.match(run_id)]
    c.check(not bad, f"{len(bad)} run ids are not 16 hex digits, first row {bad[:1]}: "
            f"{ids[bad[0]] if bad else ''!r}")
    c.check(len(set(ids.tolist())) == n, f"run ids are not unique: {n - len(set(ids.tolist()))} "
            "repeats")
    configs = runs["config_id"]
    bad = [i for i, config_id in enumerate(configs) if not HEX16.match(config_id)]
    c.check(not bad, f"{len(bad)} config ids are not 16 hex digits, first row {bad[:1]}")
    # the seeds of a configuration: the same settings, each seed once
    groups = {}
    for i, config_id in enumerate(configs.tolist()):
        groups.setdefault(config_id, []).append(i)
    settings = ("n_layer", "d_model", "n_head", "n_ctx", "batch", "lr", "warmup_steps",
                "weight_decay", "beta2", "grad_clip", "cell_id")
    for config_id, rows in groups.items():
        same = all(len(set(runs[column][rows].tolist())) == 1 for column in settings)
        distinct = len(set(runs["seed"][rows].tolist())) == len(rows)
        if not c.check(same and distinct, f"config {config_id!r}: rows {rows[:4]} differ in "
                       "more than their seed, or repeat a seed"):
            break
    # the configurations of a cell: the same shape, D and mixture, differing in hyperparameters
    cells = runs["cell_id"]
    bad = [i for i, cell_id in enumerate(cells) if not HEX16.match(cell_id)]
    c.check(not bad, f"{len(bad)} cell ids are not 16 hex digits, first row {bad[:1]}")
    by_cell = {}
    for i, cell_id in enumerate(cells.tolist()):
        by_cell.setdefault(cell_id, []).append(i)
    cell_settings = ("architecture", "n_layer", "d_model", "n_head", "n_ctx", "mixture",
                     "unique_tokens")
    # (and D, but for runs that stopped early or diverged before it)
    for cell_id, rows in by_cell.items():
        same = all(len(set(runs[column][rows].tolist())) == 1 for column in cell_settings)
        if not c.check(same, f"cell {cell_id!r}: rows {rows[:4]} differ in shape or data"):
            break
    status = set(runs["status"].tolist())
    c.check(status <= STATUSES, f"unknown status {sorted(status - STATUSES)}")
    # each architecture's exact N (README, What is trained, and how it is counted)
    architecture = set(runs["architecture"].tolist())
    c.check(architecture <= ARCHITECTURES, f"unknown architecture {sorted(architecture - ARCHITECTURES)}")
    L = runs["n_layer"].astype(np.int64)
    d = runs["d_model"].astype(np.int64)
    lstm = runs["architecture"] == b"lstm"
    counted = np.where(lstm, L * (8 * d * d + 8 * d), L * (12 * d * d + 13 * d) + 2 * d)
    bad = np.flatnonzero(counted != runs["n_params"])
    c.check(bad.size == 0, f"{bad.size} rows whose N is not their architecture's count, first "
            f"row {bad[:1]}")
    c.check(bool(np.all(runs["n_head"][lstm] == 0)), "an LSTM's n_head is 0")

    # D and C of each row
    tokens = runs["steps"] * runs["batch"].astype(np.int64) * runs["n_ctx"].astype(np.int64)
    wrong = np.flatnonzero(runs["tokens"] != tokens)
    c.check(wrong.size == 0, f"{wrong.size} rows have tokens != steps * batch * n_ctx, "
            f"first row {wrong[:1].tolist()}")
    flops = 6.0 * runs["n_params"].astype(np.float64) * runs["tokens"].astype(np.float64)
    wrong = np.flatnonzero(np.abs(runs["flops"] - flops) > 1e-12 * np.abs(flops))
    c.check(wrong.size == 0, f"{wrong.size} rows have flops != 6 N D, first row "
            f"{wrong[:1].tolist()}")

    # evaluation's time is a part of the run's
    wrong = np.flatnonzero(~((runs["eval_seconds"] >= 0) & (runs["eval_seconds"] <= runs["seconds"])))
    c.check(wrong.size == 0, f"{wrong.size} rows have eval_seconds outside [0, seconds], first row "
            f"{wrong[:1].tolist()}")

    # each row's curve slice
    offsets = runs["curve_offset"]
    lengths = runs["curve_length"]
    inside = (offsets >= 0) & (lengths >= 0) & (offsets + lengths <= len(curves))
    c.check(inside.all(), f"{np.count_nonzero(~inside)} rows point outside /curves "
            f"({len(curves)} rows), first row {np.flatnonzero(~inside)[:1].tolist()}")
    if not inside.all():
        return runs
    # the store appends each curve right after the previous one
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if n else np.zeros(0, np.int64)
    wrong = np.flatnonzero(offsets != starts)
    c.check(wrong.size == 0, f"{wrong.size} curves do not follow the previous one, first row "
            f"{wrong[:1].tolist()}")
    total = int(lengths.sum())
    row_of_point = np.repeat(np.arange(n), lengths)
    point = np.repeat(offsets - starts, lengths) + np.arange(total)
    slice_rows = curves[point]
    wrong = np.flatnonzero(slice_rows["run_id"] != ids[row_of_point])
    c.check(wrong.size == 0, f"{wrong.size} curve points carry another run's id, first in row "
            f"{row_of_point[wrong[:1]].tolist()}")
    same_run = row_of_point[1:] == row_of_point[:-1]
    wrong = np.flatnonzero(same_run & (np.diff(slice_rows["step"]) <= 0))
    c.check(wrong.size == 0, f"steps do not increase within {len(set(row_of_point[wrong]))} "
            f"curves, first in row {row_of_point[wrong[:1]].tolist()}")
    per_step = (runs["batch"].astype(np.int64) * runs["n_ctx"].astype(np.int64))[row_of_point]
    wrong = np.flatnonzero(slice_rows["tokens"] != slice_rows["step"] * per_step)
    c.check(wrong.size == 0, f"{wrong.size} curve points have tokens != step * batch * n_ctx, "
            f"first in row {row_of_point[wrong[:1]].tolist()}")
    flops = 6.0 * runs["n_params"].astype(np.float64)[row_of_point] * \
        slice_rows["tokens"].astype(np.float64)
    wrong = np.flatnonzero(np.abs(slice_rows["flops"] - flops) > 1e-12 * np.abs(flops))
    c.check(wrong.size == 0, f"{wrong.size} curve points have flops != 6 N tokens, first in row "
            f"{row_of_point[wrong[:1]].tolist()}")
    if len(curves) > total:
        # a curve whose row is not written yet (the sweep is running) or was never written
        print(f"note: /curves has {len(curves) - total} rows after the last run's curve")
    return runs


def shares_of(mixture, names):
    """The shares of a /runs mixture text ("a:0.25 + b:0.75", or one source's name)."""
    shares = np.zeros(len(names))
    for term in mixture.decode().split(" + "):
        name, _, share = term.partition(":")
        shares[names.index(name)] = float(share) if share else 1.0
    return shares


def check_sources(c, runs, curves, sources, losses, points):
    S = len(sources)
    if not c.check(S >= 1, "/sources is empty"):
        return
    names = [n.decode() for n in sources["name"]]
    c.check(len(set(names)) == S, f"source names repeat: {names}")
    n, committed = len(runs), int(runs["curve_length"].sum()) if len(runs) else 0
    c.check(len(losses) >= n * S, f"/source_losses has {len(losses)} rows, want {n} runs x {S}")
    c.check(len(points) >= committed * S,
            f"/source_curves has {len(points)} rows, want {committed} points x {S}")
    if c.failed:
        return
    bad = 0
    for k, run in enumerate(runs):
        rows = losses[k * S:(k + 1) * S]
        if not (np.all(rows["run_id"] == run["run_id"]) and
                [r.decode() for r in rows["source"]] == names):
            bad += 1
            continue
        offset, length = int(run["curve_offset"]), int(run["curve_length"])
        curve = points[offset * S:(offset + length) * S].reshape(length, S) if length else None
        if length == 0:
            bad += not np.all(np.isnan(rows["final_loss"]))
            continue
        own = curves[offset:offset + length]
        same_place = np.all(curve["run_id"] == run["run_id"]) and \
            np.all(curve["step"] == own["step"][:, None])
        final_ok = np.array_equal(rows["final_loss"], curve["test_loss"][-1], equal_nan=True)
        with np.errstate(invalid="ignore"):
            best = np.nanmin(np.where(np.isfinite(curve["test_loss"]), curve["test_loss"], np.nan),
                             axis=0) if np.isfinite(curve["test_loss"]).any() else None
        best_ok = best is None or np.allclose(rows["best_loss"], best, equal_nan=True)
        # the run's test loss is its mixture's shares of its sources' losses
        shares = shares_of(run["mixture"], names)
        mixed = (curve["test_loss"].astype(np.float64) * shares).sum(axis=1)
        finite = np.isfinite(own["test_loss"])
        mixture_ok = np.allclose(own["test_loss"][finite], mixed[finite], rtol=1e-5, atol=1e-6)
        if not (same_place and final_ok and best_ok and mixture_ok):
            bad += 1
            if bad == 1:
                print(f"row {k}: place {same_place}, final {final_ok}, best {best_ok}, "
                      f"mixture {mixture_ok}")
    c.check(bad == 0, f"{bad} runs have source rows that do not match their row and curve")


def check_pandas(c, runs):
    try:
        import pandas as pd
    except ImportError:
        print("note: pandas is not installed; DataFrame check skipped")
        return
    frame = pd.DataFrame(runs)
    for column in ("run_id", "config_id", "status", "reason", "host"):
        frame[column] = frame[column].str.decode("utf-8")
    c.check(len(frame) == len(runs) and list(frame.columns) == list(runs.dtype.names),
            "pandas DataFrame has every row and column")
    c.check(bool((frame["run_id"].str.len() == 16).all()), "pandas decodes run ids")


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: " + __doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    expected = int(argv[2]) if len(argv) == 3 else None
    c = Checks()
    try:
        runs = check_file(c, argv[1], expected)
    except (OSError, KeyError) as error:
        c.check(False, f"cannot read {argv[1]}: {error}")
        runs = None
    if runs is not None and c.failed == 0:
        check_pandas(c, runs)
    print(f"check_results: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
