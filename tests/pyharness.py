"""The harness the Python tests share: skip (exit 77, CTest's SKIP_RETURN_CODE) when
Debian's h5py or numpy is missing, and count failures without stopping at the first."""
import sys

try:
    import h5py  # noqa: F401  (re-exported for the tests)
    import numpy as np  # noqa: F401
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e} (Debian: apt-get install python3-h5py python3-numpy)")
    sys.exit(77)

failures = []


def check(cond, msg):
    """Records a failure (and prints it) when cond is false; returns cond."""
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)
    return cond
