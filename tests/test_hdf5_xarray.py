#!/usr/bin/python3
"""xarray reads run files as docs/hdf5-layout.md promises: one group at a time with the
h5netcdf engine, every axis named by its dimension scale, values equal to h5py's.

Usage: test_hdf5_xarray.py FIXTURE_DIR SWEEP_EXE COPY_CONFIG SCRATCH_DIR
FIXTURE_DIR is a directory made by test_hdf5_fixture (classifiers of each cell); a tiny
copy-task run (targets with one class per step, Y = T+20) is trained with SWEEP_EXE from
COPY_CONFIG into SCRATCH_DIR. Exit 0 when every check passes, 1 on a failure, 77 (CTest's
SKIP_RETURN_CODE) when xarray or h5netcdf is missing."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py, np  # noqa: E402

try:
    import xarray as xr
    import h5netcdf  # noqa: F401  (the engine xarray is told to use)
except ImportError as e:
    print(f"SKIP: {e} (Debian: apt-get install python3-xarray python3-h5netcdf)")
    sys.exit(77)

# The dimensions the docs name for each group, in order, per dataset.
EXPECTED_DIMS = {
    "history": {"test_acc": ("epoch",), "train_loss": ("epoch",), "lr": ("epoch",)},
    "gradients": {"dloss_dh_norm": ("epoch", "layer", "time"),
                  "dloss_dh": ("epoch", "layer", "time", "unit"),
                  "dW_hh_norm": ("epoch", "layer", "time")},
    "probe": {"inputs": ("sample", "time", "feature"), "labels": ("sample",),
              "targets": ("sample", "target"),
              "hidden_final": ("layer", "sample", "time", "unit")},
}


def check_file(path):
    name = os.path.basename(path)
    with h5py.File(path, "r") as f:
        if f.attrs.get("status") not in (b"done", "done"):
            return 0
        for group, variables in EXPECTED_DIMS.items():
            try:
                ds = xr.open_dataset(path, engine="h5netcdf", group=group)
            except Exception as e:  # noqa: BLE001  (any failure to open is the finding)
                check(False, f"{name}: xarray cannot open /{group}: {type(e).__name__}: {e}")
                continue
            with ds:
                for var, dims in variables.items():
                    if not check(var in ds, f"{name}: /{group}/{var} missing in xarray"):
                        continue
                    check(ds[var].dims == dims, f"{name}: /{group}/{var} dims {ds[var].dims}, docs say {dims}")
                    check(np.array_equal(ds[var].values, f[group][var][()], equal_nan=True),
                          f"{name}: /{group}/{var} values differ between xarray and h5py")
                for dim, size in ds.sizes.items():
                    coord = ds[dim].values
                    check(np.array_equal(coord, f[group][dim][()]),
                          f"{name}: /{group} coordinate {dim} differs from its scale")
                    check(len(coord) == size, f"{name}: /{group} coordinate {dim} has the wrong length")
                if group == "gradients":
                    # The docs' example: one layer's norm as time x epoch.
                    sel = ds.dloss_dh_norm.sel(layer=ds.layer.values[-1])
                    check(sel.dims == ("epoch", "time"), f"{name}: sel(layer=) gave dims {sel.dims}")
                if group == "history":
                    check(list(ds.epoch.values) == list(range(1, ds.sizes["epoch"] + 1)),
                          f"{name}: history epochs are not 1..E")
        # /weights has no scales: the docs say phony_dims="sort" reads it.
        try:
            with xr.open_dataset(path, engine="h5netcdf", group="weights/final", phony_dims="sort") as w:
                names = []
                f["weights/final"].visit(names.append)
                leaves = [n for n in names if isinstance(f["weights/final"][n], h5py.Dataset)]
                top = [n for n in leaves if "/" not in n]
                for n in top:
                    check(np.array_equal(w[n].values, f["weights/final"][n][()]),
                          f"{name}: weights/final/{n} differs between xarray and h5py")
        except Exception as e:  # noqa: BLE001
            check(False, f"{name}: xarray cannot open /weights/final with phony_dims: {type(e).__name__}: {e}")
    return 1


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    fixture, sweep, copy_config, scratch = sys.argv[1:]
    shutil.rmtree(scratch, ignore_errors=True)
    out = os.path.join(scratch, "copy")
    subprocess.run([sweep, copy_config, "-q", "-o", out, "--set", "task.seq_len=4",
                    "--set", "task.train_size=64", "--set", "task.test_size=32",
                    "--set", "train.epochs=2", "--set", "record.grad_every=1",
                    "--set", "model.hidden=8"], check=True)
    files = sorted(glob.glob(os.path.join(fixture, "*.h5")))
    files = [p for p in files if os.path.basename(p) != "sweep.h5"]
    copy_runs = sorted(p for p in glob.glob(os.path.join(out, "*.h5")) if os.path.basename(p) != "sweep.h5")
    checked = sum(check_file(p) for p in files + copy_runs)
    check(checked >= 4, f"only {checked} completed run files were read")
    if check(len(copy_runs) == 1, f"expected one copy-task run file, found {len(copy_runs)}"):
        with h5py.File(copy_runs[0], "r") as f:
            check(f["probe/targets"].shape[1] == 24, "the copy run's targets are not [P, T+20]")
    if failures:
        print(f"{len(failures)} failure(s) over {checked} run files")
        return 1
    print(f"ok: xarray reads /history, /gradients, /probe and /weights of {checked} run files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
