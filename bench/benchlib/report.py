"""Rounds, figures and their tables: how the benchmarks compare and report.

The scripts alternate the variants they compare, round after round, on the
same data (`run_rounds`). They report medians, and ratios taken within
each round (side by side, so a change in the machine's load affects both
sides of a ratio alike) and then their median (`paired_ratios`,
`throughput_summary`), as Markdown tables (`markdown_table`), with the
machine and its load (`run_benchmark`).
"""

import argparse
import json
import os
import statistics
import tempfile

from .data import prepare_data
from .processes import LoadMonitor, load_average, machine_info, wait_for_quiet


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


def ratio_cell(values, digits=3, unit="", bold=True):
    """A ratio as the tables show it: the median of the rounds' values (in
    bold) and their range, e.g. '**0.913** (0.864-0.937)'; '-' without
    values."""
    if not values:
        return "-"
    mark = "**" if bold else ""
    return "%s%.*f%s%s (%s)" % (mark, digits, median(values), unit, mark,
                                spread(values))


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
            ratio_rows.append(["%s: %s" % (name, title)] + [
                ratio_cell(result[kind][key]["all"], bold=kind == "ratios")
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
