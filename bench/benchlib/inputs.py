"""The input benchmarks' common frame (jpeg_input.py, image_folder_input.py).

Each drains variants of an input pipeline, one fresh child process of the
script itself a run (`--child=VARIANT`), on data the script writes once in
a child too (`--write_data=FOLDER`); the rounds, medians and paired ratios
are the other benchmarks'. A script supplies its variants, the pairs it
compares, how to write its data and how to drain one variant:

    parser = benchlib.input_argument_parser(__doc__, VARIANTS, "images")
    args = parser.parse_args()
    if args.write_data: write_data(args.write_data, args.num_images)
    elif args.child: measure_child(args)   # prints benchlib.drain's result
    else: benchlib.run_input_benchmark(args, "name", __file__, VARIANTS,
                                       PAIRS, table, data_version="1")
"""

import argparse
import os
import time

from .processes import PYTHON, ChildRun, LoadMonitor
from .report import (
    Workdir,
    finish,
    load_note,
    run_header,
    run_rounds,
    throughput_summary,
)
from .report import argument_parser as common_argument_parser


def input_argument_parser(doc, variants, num_images_help):
    """The options of an input benchmark: the common ones, the data's size,
    the drain's length and shape, and the hidden ones of its children."""
    parser = common_argument_parser(doc.split("\n")[0], 3)
    parser.add_argument("--num_images", type=int, default=2000,
                        help=num_images_help)
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="measured seconds per run")
    parser.add_argument("--variants", default=",".join(variants),
                        help="comma-separated, of: " + ", ".join(variants))
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--eval_batch_size", type=int, default=100)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2,
                        help="preprocessing threads")
    parser.add_argument("--child", choices=variants, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--dataset_dir", default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--write_data", default=None,
                        help=argparse.SUPPRESS)
    return parser


def measure_variants(args, label, script, variants, pairs, dataset_dir):
    """Runs the chosen variants (--variants) in rounds, each a child of
    `script`; returns `throughput_summary` of them, with the settings."""
    chosen = args.variants.split(",")
    unknown = set(chosen) - set(variants)
    if unknown:
        raise SystemExit("--variants: unknown %s; use some of %s."
                         % (", ".join(sorted(unknown)), ", ".join(variants)))

    def run_variant(variant):
        result = ChildRun(
            [PYTHON, os.path.abspath(script), "--child=" + variant,
             "--dataset_dir=" + dataset_dir, "--seconds=%g" % args.seconds,
             "--batch_size=%d" % args.batch_size,
             "--eval_batch_size=%d" % args.eval_batch_size,
             "--readers=%d" % args.readers,
             "--threads=%d" % args.threads]).result()
        return result["examples_per_sec"], {
            "cpu:" + variant: result["cpu_ms_per_example"]}

    rounds = run_rounds(label, args.repeats, chosen, run_variant)
    summary = throughput_summary(
        rounds, chosen, [pair for pair in pairs if set(pair) <= set(chosen)])
    summary["settings"] = {
        "num_images": args.num_images, "seconds": args.seconds,
        "batch_size": args.batch_size,
        "eval_batch_size": args.eval_batch_size, "readers": args.readers,
        "threads": args.threads}
    return summary


def prepare_data(script, root, name, num_images, data_version):
    """Has `script` write its data (`--write_data`, in a child process) into
    root/data/<name>_<num_images>, unless it is there already, from the
    same `data_version` (bump it when the script writes other data).
    Returns the folder."""
    folder = os.path.join(root, "data", "%s_%d" % (name, num_images))
    marker = os.path.join(folder, "READY-" + data_version)
    if not os.path.exists(marker):
        started = time.time()
        ChildRun([PYTHON, os.path.abspath(script), "--write_data=" + folder,
                  "--num_images=%d" % num_images])
        open(marker, "w").close()
        print("wrote the data (%d images) in %.0f s" % (
            num_images, time.time() - started), flush=True)
    return folder


def run_input_benchmark(args, name, script, variants, pairs, table,
                        data_version):
    """The parent's run: the data (`prepare_data`), the rounds, the
    table(summary) with the machine and its load, the JSON and Markdown
    files asked for."""
    machine = run_header(args)
    with Workdir(args.workdir) as workdir, LoadMonitor() as load:
        dataset_dir = prepare_data(script, workdir.path, name,
                                   args.num_images, data_version)
        summary = measure_variants(args, name.replace("_", " "), script,
                                   variants, pairs, dataset_dir)
    output = {"machine": machine, "load": load.summary(), **summary}
    finish(args, name, output, table(summary) + "\n\n" +
           load_note(output["load"], machine))
