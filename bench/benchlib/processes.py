"""Child processes and the machine: what every figure is measured in.

Every figure is measured in a fresh child process (`ChildRun`: its wall and
CPU time, its output lines with the time each arrived, its result line),
so no run inherits another's threads, caches or memory; the machine's load
is sampled while a benchmark runs (`LoadMonitor`); `progress_times` reads
train.py's progress lines.
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time

from slimtrain.training.hooks.progress import PROGRESS_PATTERN

# bench/, the folder of the benchmark scripts (this package lives in it).
BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


REPO_ROOT = os.path.dirname(BENCH_DIR)


PYTHON = sys.executable


TRAIN_PY = os.path.join(REPO_ROOT, "train.py")


EVAL_PY = os.path.join(REPO_ROOT, "eval.py")


WORKERS_PY = os.path.join(BENCH_DIR, "workers.py")


RESULT_PREFIX = "BENCH_RESULT "


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
    samples of its CPU time and memory taken while it ran. `env` adds to
    (or overrides) the environment of `child_env()`; with `check`, a
    non-zero exit status raises RuntimeError.

    lines: [(epoch time, line)]: each line of its output (stdout and stderr)
    with the time it arrived. A child's lines are timed as they arrive, not
    by a timestamp in them: slimtrain prints its own lines without one.
    Python flushes stderr at each line, so a line arrives as it is written.
    samples: [(epoch time, CPU seconds (user + system, all threads), VmRSS
    KiB, VmHWM KiB)], every `sample_every` seconds.
    """

    def __init__(self, args, timeout=1800, cwd=None, sample_every=0.05,
                 env=None, check=True):
        self.args = args
        self.samples = []
        self.launched = time.time()
        child = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(child_env(), **(env or {})), cwd=cwd or REPO_ROOT)
        self.lines = []
        reader = threading.Thread(target=self._read_lines, args=(child,),
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
        self.output = "".join(line for _, line in self.lines)
        self.returncode = child.returncode
        if check and child.returncode != 0:
            raise RuntimeError("%s failed with status %d:\n%s" % (
                " ".join(args), child.returncode, self.output[-4000:]))

    def _read_lines(self, child):
        for line in child.stdout:
            self.lines.append((time.time(), line))

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


def drain(session, fetch, seconds, warmup_runs=10):
    """Runs `fetch` (a batch) `warmup_runs` times, then for `seconds`.

    Returns {"examples_per_sec", "cpu_ms_per_example"}: the rate over the
    timed runs, and the CPU time of the whole process (all its threads,
    getrusage) per example.
    """
    import resource

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    for _ in range(warmup_runs):
        session.run(fetch)
    start, cpu_start = time.time(), cpu_seconds()
    examples = 0
    while time.time() - start < seconds:
        examples += len(session.run(fetch))
    elapsed, cpu = time.time() - start, cpu_seconds() - cpu_start
    return {"examples_per_sec": examples / elapsed,
            "cpu_ms_per_example": 1e3 * cpu / examples}


def print_result(result):
    """What a worker prints last, for `ChildRun.result`."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# absl's prefix of a log line (TensorFlow's and slim's lines, shown with
# -v 1): "I1122 06:02:34.827950 140026417249152 file.py:101] ".
_ABSL_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+ +\d+ [^\]]*\] ")


def messages(lines):
    """Yields (arrival time, text) of each of `ChildRun.lines`, the text
    without its line end and without absl's prefix where it has one."""
    for arrived, line in lines:
        yield arrived, _ABSL_PREFIX.sub("", line.rstrip("\n"), count=1)


def progress_times(lines):
    """{global step: arrival time} of train.py's progress lines among
    `lines` (`ChildRun.lines`)."""
    times = {}
    for arrived, message in messages(lines):
        match = PROGRESS_PATTERN.match(message)
        if match:
            times[int(match.group("step"))] = arrived
    return times


def rate(step_times, first, last, examples_per_step):
    """Examples/sec between the ends of steps `first` and `last`."""
    elapsed = step_times[last] - step_times[first]
    return (last - first) * examples_per_step / elapsed
