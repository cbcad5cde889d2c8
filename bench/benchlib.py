"""What the benchmark scripts share: data, child processes, timing, output.

Every figure is measured in a fresh child process (so no run inherits
another's threads, caches or memory) and the scripts alternate the things
they compare, round after round, on the same data. They report medians, and
ratios taken within each round (side by side, so a change in the machine's
load affects both sides of a ratio alike) and then their median.

Data is made locally, never downloaded (`prepare_data`):
  digits       the built-in digits (1,437 / 360 images, 28x28x1, MNIST IDX)
  mnist_idx    MNIST-sized IDX files (60,000 / 10,000 images): the built-in
               digits, tiled and shifted by a few pixels
  mnist        the same, converted to research/slim's TFRecord layout (PNG)
  cifar10_bin  CIFAR-10-sized binary batches (50,000 / 10,000 images, 32x32x3)
               of synthetic images: random 8x8 colour blocks plus noise, so
               they compress about as well as photographs
  cifar10      the same, converted to the TFRecord layout (PNG)
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

from slimtrain.training.hooks.progress import PROGRESS_PATTERN

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
PYTHON = sys.executable
TRAIN_PY = os.path.join(REPO_ROOT, "train.py")
EVAL_PY = os.path.join(REPO_ROOT, "eval.py")
WORKERS_PY = os.path.join(BENCH_DIR, "workers.py")

# The data sets each network is benchmarked on by default, as train.py
# flags: MNIST-sized data for LeNet, CIFAR-10-sized data for CifarNet.
MODELS = {
    "lenet": {"dataset_name": "mnist_idx", "eval_dataset_name": "mnist_idx"},
    "cifarnet": {"dataset_name": "cifar10_bin",
                 "eval_dataset_name": "cifar10_bin"},
}

RESULT_PREFIX = "BENCH_RESULT "
_DATA_VERSION = "1"  # bump when prepare_data writes different files


# ---------------------------------------------------------------- arguments

def argument_parser(description, default_repeats):
    """An ArgumentParser with the options every benchmark script takes."""
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--repeats", type=int, default=default_repeats,
                        help="rounds; every compared variant runs once a round")
    parser.add_argument("--workdir", default=None,
                        help="where data and run folders go (kept); default: "
                        "a temporary folder, deleted at the end")
    parser.add_argument("--json", default=None,
                        help="also write the results as JSON to this file")
    parser.add_argument("--markdown", default=None,
                        help="also write the table as Markdown to this file")
    parser.add_argument("--wait_for_load", type=float, default=None,
                        help="first wait (up to --max_wait_secs) until the "
                        "1-minute load average is below this")
    parser.add_argument("--max_wait_secs", type=float, default=1200)
    return parser


class Workdir:
    """A folder for data and runs: the one given, or a temporary one."""

    def __init__(self, path=None):
        self._temp = None
        if path is None:
            self._temp = tempfile.TemporaryDirectory(prefix="slimtrain-bench-")
            path = self._temp.name
        os.makedirs(path, exist_ok=True)
        self.path = os.path.abspath(path)

    def run_dir(self, name):
        """A fresh, empty folder for one run."""
        return tempfile.mkdtemp(prefix=name + "-", dir=self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._temp is not None:
            self._temp.cleanup()


def training_cases(text):
    """Parses --models: "lenet,cifarnet:cifar10" -> [(key, network, data)].

    Each comma-separated entry is a network, trained on its default data set
    (MODELS), or network:dataset_name. The key names the case in results:
    the network alone for its default data set, else the entry.
    """
    cases = []
    for entry in text.split(","):
        model_name, _, dataset_name = entry.partition(":")
        if model_name not in MODELS:
            raise SystemExit("--models: unknown network %r; use one of %s."
                             % (model_name, ", ".join(MODELS)))
        default = MODELS[model_name]["dataset_name"]
        cases.append((entry if dataset_name not in ("", default)
                      else model_name, model_name, dataset_name or default))
    return cases


# ---------------------------------------------------------------- machine

def load_average():
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def machine_info():
    """nproc, CPU model, memory, Python and library versions."""
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = None
    try:
        with open("/proc/meminfo") as handle:
            total_kib = int(handle.readline().split()[1])
            memory_gib = round(total_kib / 2 ** 20, 1)
    except (OSError, ValueError, IndexError):
        pass
    versions = subprocess.run(
        [PYTHON, "-c", "import tensorflow as tf, keras, numpy, tf_slim; "
         "print(tf.__version__, keras.__version__, numpy.__version__, "
         "tf_slim.__version__ if hasattr(tf_slim, '__version__') else '?')"],
        capture_output=True, text=True, env=child_env()).stdout.split()
    names = ("tensorflow", "keras", "numpy", "tf_slim")
    return {"nproc": os.cpu_count(), "cpu_model": cpu_model,
            "memory_gib": memory_gib, "python": platform.python_version(),
            **dict(zip(names, versions + ["?"] * (4 - len(versions))))}


class LoadMonitor:
    """Samples the 1-minute load average in the background while in use."""

    def __init__(self, every_secs=5.0):
        self._every = every_secs
        self._samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self._samples.append(load_average())
            self._stop.wait(self._every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._samples.append(load_average())

    def summary(self):
        samples = self._samples or [load_average()]
        return {"min": min(samples), "median": statistics.median(samples),
                "max": max(samples), "samples": len(samples)}


def wait_for_quiet(max_load, max_wait_secs, poll_secs=120):
    """Waits until the 1-minute load is below max_load; returns the load."""
    deadline = time.time() + max_wait_secs
    load = load_average()
    while load >= max_load and time.time() < deadline:
        print("load %.2f >= %.2f; waiting %d s" % (load, max_load, poll_secs),
              flush=True)
        time.sleep(min(poll_secs, max(1.0, deadline - time.time())))
        load = load_average()
    print("load %.2f: starting" % load, flush=True)
    return load


# ---------------------------------------------------------------- data

def prepare_data(root):
    """Writes (or reuses) every benchmark data set under root; returns dirs.

    Returns {dataset_name: dataset_dir}; "digits" maps to None (built in).
    """
    import numpy as np  # only the parent process makes data

    dirs = {"digits": None}
    for name in ("mnist_idx", "mnist", "cifar10_bin", "cifar10"):
        dirs[name] = os.path.join(root, "data", name)
    marker = os.path.join(root, "data", "READY-" + _DATA_VERSION)
    if os.path.exists(marker):
        return dirs
    started = time.time()
    print("Making benchmark data in %s ..." % os.path.join(root, "data"),
          flush=True)
    rng = np.random.default_rng(0)
    _write_mnist_sized_idx(dirs["mnist_idx"], rng)
    _write_cifar10_sized_bin(dirs["cifar10_bin"], rng)
    # The converter runs in a child, so this process never imports TensorFlow.
    for source, target in (("mnist_idx", "mnist"), ("cifar10_bin", "cifar10")):
        ChildRun([PYTHON, "-m", "slimtrain.convert",
                  "--input_format=" + source, "--input_dir=" + dirs[source],
                  "--output_dir=" + dirs[target]])
    with open(marker, "w") as handle:
        handle.write("made in %.0f s\n" % (time.time() - started))
    print("... done in %.0f s." % (time.time() - started), flush=True)
    return dirs


def _read_idx(path):
    import numpy as np

    with gzip.open(path, "rb") as handle:
        data = handle.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, columns = struct.unpack(">II", data[8:16])
        return np.frombuffer(data[16:], np.uint8).reshape(count, rows, columns)
    return np.frombuffer(data[8:], np.uint8)


def _write_idx(path, array):
    header = (struct.pack(">IIII", 2051, *array.shape) if array.ndim == 3
              else struct.pack(">II", 2049, len(array)))
    with open(path, "wb") as handle:
        handle.write(header + array.astype("uint8").tobytes())


def digits_dir():
    """The built-in digits' folder in this checkout."""
    return os.path.join(REPO_ROOT, "slimtrain", "data", "datasets",
                        "digits_data")


def _write_mnist_sized_idx(folder, rng):
    """MNIST-sized IDX files: the built-in digits tiled and shifted."""
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    for prefix, source, count in (("train", "train", 60000),
                                  ("t10k", "t10k", 10000)):
        images = _read_idx(os.path.join(digits_dir(),
                                        source + "-images-idx3-ubyte.gz"))
        labels = _read_idx(os.path.join(digits_dir(),
                                        source + "-labels-idx1-ubyte.gz"))
        index = rng.integers(0, len(images), count)
        shifts = rng.integers(-3, 4, (count, 2))
        tiled = np.stack([np.roll(images[i], tuple(shift), axis=(0, 1))
                          for i, shift in zip(index, shifts)])
        _write_idx(os.path.join(folder, prefix + "-images-idx3-ubyte"), tiled)
        _write_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte"),
                   labels[index])


def _write_cifar10_sized_bin(folder, rng):
    """CIFAR-10-sized binary batches of synthetic 32x32 colour images."""
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    files = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
    for filename in files:
        count = 10000
        blocks = rng.integers(0, 256, (count, 3, 8, 8))
        planes = np.repeat(np.repeat(blocks, 4, axis=2), 4, axis=3)
        noise = rng.integers(-12, 13, planes.shape)
        planes = np.clip(planes + noise, 0, 255).astype(np.uint8)
        labels = rng.integers(0, 10, (count, 1)).astype(np.uint8)
        records = np.concatenate([labels, planes.reshape(count, -1)], axis=1)
        with open(os.path.join(folder, filename), "wb") as handle:
            handle.write(records.tobytes())


def dataset_flags(dataset_name, data_dirs):
    """The train.py / eval.py flags naming a benchmark data set."""
    flags = ["--dataset_name=" + dataset_name]
    if data_dirs.get(dataset_name):
        flags.append("--dataset_dir=" + data_dirs[dataset_name])
    return flags


# ---------------------------------------------------------------- children

def child_env():
    """The environment of child processes: quiet TensorFlow C++ logging."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    env["PYTHONPATH"] = os.pathsep.join(
        [REPO_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                       if p])
    return env


class ChildRun:
    """One finished child process: its output, exit status, launch time, and
    samples of its CPU time and memory taken while it ran.

    samples: [(epoch time, CPU seconds (user + system, all threads), VmRSS
    KiB, VmHWM KiB)], every `sample_every` seconds.
    """

    def __init__(self, args, timeout=1800, cwd=None, sample_every=0.05):
        self.args = args
        self.samples = []
        self.launched = time.time()
        child = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=child_env(), cwd=cwd or REPO_ROOT)
        chunks = []
        reader = threading.Thread(target=lambda: chunks.extend(child.stdout),
                                  daemon=True)
        reader.start()
        deadline = self.launched + timeout
        while child.poll() is None:
            sample = _sample_process(child.pid)
            if sample is not None:
                self.samples.append(sample)
            if time.time() > deadline:
                child.kill()
            time.sleep(sample_every)
        self.ended = time.time()
        reader.join()
        self.output = "".join(chunks)
        self.returncode = child.returncode
        if child.returncode != 0:
            raise RuntimeError("%s failed with status %d:\n%s" % (
                " ".join(args), child.returncode, self.output[-4000:]))

    def cpu_seconds_between(self, start, end):
        """CPU seconds the child used between two epoch times (interpolated
        between samples)."""
        return _interpolate(self.samples, end) - _interpolate(self.samples,
                                                               start)

    def result(self):
        """The JSON a bench worker printed on its BENCH_RESULT line."""
        for line in reversed(self.output.splitlines()):
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX):])
        raise RuntimeError("no %sline in the output of %s:\n%s" % (
            RESULT_PREFIX, " ".join(self.args), self.output[-4000:]))


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _sample_process(pid):
    """(time, CPU seconds, VmRSS KiB, VmHWM KiB) of a live process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        memory = {}
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    memory[line[:5]] = int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    # Fields 14 and 15 of /proc/PID/stat (utime, stime), counted from 1,
    # are 11 and 12 after the command name.
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return (time.time(), cpu, memory.get("VmRSS"), memory.get("VmHWM"))


def _interpolate(samples, when):
    """CPU seconds at time `when`, linear between the samples around it."""
    before = [s for s in samples if s[0] <= when]
    after = [s for s in samples if s[0] >= when]
    if not before or not after:
        raise ValueError("no CPU samples around %.3f" % when)
    (t0, c0), (t1, c1) = before[-1][:2], after[0][:2]
    return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)


def print_result(result):
    """What a worker prints last, for `ChildRun.result`."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# An absl log line: "I1122 06:02:34.827950 140026417249152 file.py:101] text".
_ABSL_LINE = re.compile(
    r"^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) +\d+ [^\]]*\] (.*)$")


def absl_lines(output, reference_time):
    """Yields (epoch seconds, message) of each absl log line in output.

    absl stamps lines with local month, day and time; the year comes from
    reference_time (an epoch time near the run), corrected at a new year.
    """
    reference = datetime.datetime.fromtimestamp(reference_time)
    for line in output.splitlines():
        match = _ABSL_LINE.match(line)
        if not match:
            continue
        month, day, hour, minute, second, micro = map(int, match.groups()[:6])
        stamp = datetime.datetime(reference.year, month, day, hour, minute,
                                  second, micro)
        if (stamp - reference).days > 180:
            stamp = stamp.replace(year=reference.year - 1)
        elif (reference - stamp).days > 180:
            stamp = stamp.replace(year=reference.year + 1)
        yield stamp.timestamp(), match.group(7)


def progress_times(output, reference_time):
    """{global step: epoch time} of train.py's progress lines in output."""
    times = {}
    for stamp, message in absl_lines(output, reference_time):
        match = PROGRESS_PATTERN.match(message)
        if match:
            times[int(match.group("step"))] = stamp
    return times


def rate(step_times, first, last, examples_per_step):
    """Examples/sec between the ends of steps `first` and `last`."""
    elapsed = step_times[last] - step_times[first]
    return (last - first) * examples_per_step / elapsed


# ---------------------------------------------------------------- figures

def median(values):
    return statistics.median(values) if values else None


def run_rounds(label, repeats, variants, run_variant):
    """Runs each variant once a round, `repeats` rounds, in rotating order.

    Round k starts with the k-th variant, so that no variant always runs
    first, or always right after the same other one.

    Args:
      label: what the progress lines call the rounds.
      variants: the names of the things compared.
      run_variant: fn(variant) -> (its main figure, {other figure name:
        value}) for one run.

    Returns:
      One dict a round: each variant's main figure under its name, the
      other figures under their names, and the load average at its end.
    """
    variants = list(variants)
    rounds = []
    for round_index in range(repeats):
        shift = round_index % len(variants)
        figures = {}
        for variant in variants[shift:] + variants[:shift]:
            figures[variant], others = run_variant(variant)
            figures.update(others)
        figures["load"] = load_average()
        rounds.append(figures)
        print("%s round %d: %s" % (label, round_index + 1, ", ".join(
            "%s %.2f" % (name, figures[name])
            for name in variants + ["load"])), flush=True)
    return rounds


def paired_ratios(rounds, numerator, denominator):
    """numerator/denominator within each round that has both."""
    return [r[numerator] / r[denominator] for r in rounds
            if r.get(numerator) and r.get(denominator)]


def throughput_summary(rounds, variants, pairs):
    """Medians and paired ratios of rounds of the throughput benchmarks.

    Each round holds each variant's examples/sec under its name and its CPU
    ms per example under "cpu:<name>". The CPU ratio of a pair is the
    denominator's CPU per example over the numerator's, so that it reads
    like a throughput ratio.

    Returns:
      {"examples_per_sec": {variant: median}, "cpu_ms_per_example": {...},
       "ratios": {"a/b": {"median": m, "all": [...]}}, "cpu_ratios": {...},
       "rounds": rounds}, with the pairs of which some round has both sides.
    """
    ratios, cpu_ratios = {}, {}
    for numerator, denominator in pairs:
        values = paired_ratios(rounds, numerator, denominator)
        if values:
            name = "%s/%s" % (numerator, denominator)
            ratios[name] = {"median": median(values), "all": values}
            values = paired_ratios(rounds, "cpu:" + denominator,
                                   "cpu:" + numerator)
            cpu_ratios[name] = {"median": median(values), "all": values}
    return {
        "examples_per_sec": {v: median([r[v] for r in rounds])
                             for v in variants},
        "cpu_ms_per_example": {v: median([r["cpu:" + v] for r in rounds])
                               for v in variants},
        "ratios": ratios, "cpu_ratios": cpu_ratios, "rounds": rounds}


def spread(values):
    """'min-max' of a list of floats, for the tables."""
    if not values:
        return ""
    return "-".join("%.0f" % value if abs(value) >= 1000 else "%.3g" % value
                    for value in (min(values), max(values)))


def load_note(load_summary, machine):
    """One line saying on what machine, under what load, a table was made."""
    return ("%d x %s, TensorFlow %s, Keras %s; 1-minute load average during "
            "the run: median %.2f (min %.2f, max %.2f)." % (
                machine["nproc"], machine["cpu_model"], machine["tensorflow"],
                machine["keras"], load_summary["median"], load_summary["min"],
                load_summary["max"]))


def markdown_table(header, rows, drop_empty=False):
    """A Markdown table; drop_empty leaves out columns that are all '-'."""
    if drop_empty and rows:
        keep = [0] + [i for i in range(1, len(header))
                      if any(row[i] != "-" for row in rows)]
        header = [header[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def throughput_tables(results, label, rate_columns, ratio_columns,
                      cpu_format="%.2f"):
    """The two Markdown tables of the throughput benchmarks.

    The first holds each variant's median examples/sec (and CPU ms per
    example), the second the median paired ratios (and their range), in
    examples/sec and in CPU per example. Columns without figures are left
    out.

    Args:
      results: {case: result} with "examples_per_sec" and
        "cpu_ms_per_example" ({variant: median}), "ratios" and "cpu_ratios"
        ({"a/b": {"median": m, "all": [...]}}).
      label: fn(result) -> the row's name.
      rate_columns, ratio_columns: ((key, column title), ...).
      cpu_format: how CPU ms per example are written.
    """
    rate_rows, ratio_rows = [], []
    for result in results.values():
        name = label(result)
        rates, cpu = result["examples_per_sec"], result["cpu_ms_per_example"]
        rate_rows.append([name] + [
            ("%.0f (" + cpu_format + " ms)") % (rates[key], cpu[key])
            if rates.get(key) else "-" for key, _ in rate_columns])
        for kind, title in (("ratios", "examples/sec"),
                            ("cpu_ratios", "CPU per example")):
            bold = "**" if kind == "ratios" else ""
            ratio_rows.append(["%s: %s" % (name, title)] + [
                "%s%.3f%s (%s)" % (bold, result[kind][key]["median"], bold,
                                   spread(result[kind][key]["all"]))
                if key in result[kind] else "-"
                for key, _ in ratio_columns])
    return (markdown_table(
        ["median examples/sec (CPU ms per example)"] +
        [title for _, title in rate_columns], rate_rows, drop_empty=True) +
        "\n\n" + markdown_table(
            ["ratio: median of rounds (range)"] +
            [title for _, title in ratio_columns], ratio_rows,
            drop_empty=True))


def run_benchmark(args, name, measure, table):
    """What every benchmark script does around its measurements.

    Waits for a quiet machine if asked, makes (or reuses) the data, runs
    measure(data_dirs, workdir) -> results while sampling the load, then
    prints table(results) with a line on the machine and load, and writes
    the JSON and Markdown files asked for.
    """
    machine = run_header(args)
    with Workdir(args.workdir) as workdir, LoadMonitor() as load:
        data_dirs = prepare_data(workdir.path)
        results = measure(data_dirs, workdir)
    output = {"machine": machine, "load": load.summary(), "results": results}
    finish(args, name, output, table(results) + "\n\n" +
           load_note(output["load"], machine))


def finish(args, name, results, table):
    """Prints the table and writes the JSON and Markdown files asked for."""
    print()
    print(table)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({name: results}, handle, indent=2, sort_keys=True)
            handle.write("\n")
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(table + "\n")


def run_header(args):
    """Waits for a quiet machine if asked; returns the machine description."""
    if args.wait_for_load:
        wait_for_quiet(args.wait_for_load, args.max_wait_secs)
    info = machine_info()
    info["load_at_start"] = load_average()
    print("Machine: %(nproc)d x %(cpu_model)s, TensorFlow %(tensorflow)s, "
          "Keras %(keras)s; 1-minute load %(load_at_start).2f" % info,
          flush=True)
    return info
