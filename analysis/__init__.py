"""Plots and unit classification for the HDF5 files written by `sweep`.

Use through the command line (`python3 -m analysis --help`) or import the
pieces: `analysis.load` (sweep directory -> Run objects, the index table),
`analysis.units` (hidden-unit classifier), `analysis.plots` (the figures).
Needs only Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""

__all__ = ["load", "units", "plots"]
