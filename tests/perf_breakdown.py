#!/usr/bin/python3
"""Where a whole reference run's time goes, per cell: the README's table.

Usage: tests/perf_breakdown.py SWEEP [--config configs/reference.yaml] [--cells rnn,lstm,gru]

SWEEP should be built with debug information (-g; optimisation as usual), e.g.
  cmake -S . -B build-g -DCMAKE_C_FLAGS=-g && cmake --build build-g --target sweep
For each cell, `perf record --call-graph dwarf` samples one whole run (`-j 1`), and each
sample is put in one category by its call stack (inlined functions are frames of their
own in perf's dwarf stacks), the first rule that matches:
  recording      anything under the probe or the gradient records (their products too)
  HDF5           libhdf5 / zlib, or the program's HDF5 writers
  data           the task's sequence generation
  dropout masks  the random masks (Philox)
  optimizer      the optimizer step, gradient clipping's norm, repacking the weights
  activations    tanh and sigmoid, including the tanh fused into the rnn step's tiles
  matrix         the matrix kernels (their packing included)
  backward / forward   the cells' element-wise work and the loss, by the pass
  other          start-up, the C library, the OpenMP runtime, the kernel
Shares are of samples (CPU time). Needs perf; run it on an otherwise idle machine."""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

CATEGORIES = ["matrix products", "activations", "element-wise forward, loss", "element-wise backward",
              "dropout masks", "optimizer, repacking", "data generation", "recording", "HDF5", "other"]

RECORDING = {"record_gradients", "probe_forward", "sum_of_row_norms", "step_norms", "input_gradient"}
DATA = {"sw_dataset_generate", "generate_sign", "generate_adding", "generate_copy", "sw_task_resolve"}
DROPOUT = {"philox_blocks", "philox_blocks_generic", "philox_blocks_avx2", "philox_blocks_avx512", "sw_dropout_fill", "sw_dropout_fill_keep", "sw_rng_fill_u32", "sw_model_sample_dropout",
           "sw_tf_sample_dropout"}
OPTIMIZER = {"adam_step", "sgd_step", "rmsprop_step", "sw_optimizer_step", "sw_global_norm", "sw_model_pack"}
ACTIVATIONS = {"sw_tanh_inplace", "sw_sigmoid_inplace", "relu_inplace", "tanh_vec", "tanh_one", "lanes_max",
               "lanes_min", "_mm256_min_ps", "_mm256_max_ps", "_mm512_min_ps", "_mm512_max_ps"}
MATRIX = {"tile_any", "tile", "splat", "tile_rows", "at_acc_panels", "next_chunk_step", "matmul_unpacked",
          "pack_panel", "sw_matmul", "sw_matmul_packed", "sw_matmul_at_acc", "sw_matmul_at_acc_part", "sw_pack",
          "sw_pack_transposed", "sw_matmul_acc_tanh", "sw_matmul_packed_sub"}
BACKWARD = ("backward", "add_incoming", "add_transposed", "colsum_cols", "cross_entropy_grad")
FORWARD = ("forward", "cross_entropy", "sw_model_load_input", "accuracy_of", "evaluate")


def base_name(sym):
    """The source function of a symbol: no clone suffixes, no kernels-variant suffix."""
    sym = re.sub(r"\.(constprop|isra|part|cold)\.\d+", "", sym)
    sym = re.sub(r"\._omp_fn\.\d+", "", sym)
    return re.sub(r"_(avx2|avx512|avx512emu)$", "", sym)


def stacks(perf_script_text):
    """Samples of `perf script -F ip,sym,dso` as lists of (function, dso), leaf first."""
    out, cur = [], []
    for line in perf_script_text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur = []
            continue
        m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            cur.append((base_name(m.group(1)), m.group(2)))
    if cur:
        out.append(cur)
    return out


def category(stack):
    names = [n for n, _ in stack]
    if any(n in RECORDING for n in names):
        return "recording"
    if any(re.search(r"libhdf5|libz\.|libsz", d) for _, d in stack) or \
            any(n.startswith(("H5", "sw_h5", "h5w_")) for n in names):
        return "HDF5"
    if any(n in DATA for n in names):
        return "data generation"
    if any(n in DROPOUT for n in names):
        return "dropout masks"
    if any(n in OPTIMIZER for n in names):
        return "optimizer, repacking"
    if any(n in ACTIVATIONS for n in names):
        return "activations"
    for n in names:  # the innermost frame that says what the work is
        if n in MATRIX:
            return "matrix products"
        if any(h in n for h in BACKWARD):
            return "element-wise backward"
        if any(h in n for h in FORWARD):
            return "element-wise forward, loss"
    return "other"


def profile(sweep, config, cell, workdir):
    data = os.path.join(workdir, cell + ".data")
    out = os.path.join(workdir, cell)
    subprocess.run(["perf", "record", "-q", "-F", "4000", "--call-graph", "dwarf,16384", "-o", data, sweep, config,
                    "-j", "1", "-q", "-o", out, "--set", "model.cell=" + cell],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], check=True, capture_output=True,
                          text=True).stdout
    return collections.Counter(category(s) for s in stacks(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sweep")
    ap.add_argument("--config", default=os.path.join(os.path.dirname(__file__), "..", "configs", "reference.yaml"))
    ap.add_argument("--cells", default="rnn,lstm,gru")
    args = ap.parse_args()
    print("| cell | samples | " + " | ".join(CATEGORIES) + " |")
    print("|---|---|" + "---|" * len(CATEGORIES))
    with tempfile.TemporaryDirectory() as workdir:
        for cell in args.cells.split(","):
            count = profile(os.path.abspath(args.sweep), args.config, cell, workdir)
            total = sum(count.values())
            if not total:
                print(f"{cell}: no samples (is perf allowed here? see /proc/sys/kernel/perf_event_paranoid)",
                      file=sys.stderr)
                return 1
            print(f"| {cell} | {total} | " + " | ".join(f"{100 * count[c] / total:.1f}%" for c in CATEGORIES) + " |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
