"""What evaluation during training costs: train.py with --eval_every_n_steps.

    python bench/eval_during_training.py [--repeats 2] [--workdir DIR]
        [--json F] [--markdown F]

For LeNet on MNIST-sized IDX data and CifarNet on CIFAR-10-sized binary
batches (evaluated on their 10,000-example test splits, batch 100), each
round runs train.py twice, in a rotating order, each in a fresh process:
without evaluation, and with --eval_every_n_steps set to a third of the
run (three evaluations: two during training and one of the last
checkpoint). Reported: the seconds one evaluation takes (eval_secs in
eval/results.jsonl: restoring the checkpoint and evaluating, without
building the graph), the whole run's extra wall time per evaluation
(graph building and the checkpoint saved for it included), and the share of
the evaluated run's wall time spent on evaluation. Medians over rounds.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

# (network, data set, training steps)
CASES = (("lenet", "mnist_idx", 600), ("cifarnet", "cifar10_bin", 300))
EVALUATIONS = 3


def run_train(model_name, dataset_name, steps, data_dirs, workdir, every):
    """Runs train.py; returns (wall seconds, [eval_secs of each evaluation])."""
    train_dir = workdir.run_dir("eval%d" % every if every else "plain")
    args = [benchlib.PYTHON, benchlib.TRAIN_PY, "--train_dir=" + train_dir,
            "--model_name=" + model_name, "--max_number_of_steps=%d" % steps,
            "--log_every_n_steps=100"] + benchlib.dataset_flags(dataset_name,
                                                               data_dirs)
    if every:
        args.append("--eval_every_n_steps=%d" % every)
    run = benchlib.ChildRun(args)
    eval_secs = []
    if every:
        with open(os.path.join(train_dir, "eval", "results.jsonl")) as handle:
            eval_secs = [json.loads(line)["eval_secs"] for line in handle]
        if len(eval_secs) != EVALUATIONS:
            raise RuntimeError("expected %d evaluations, found %d"
                               % (EVALUATIONS, len(eval_secs)))
    return run.ended - run.launched, eval_secs


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 2)
    args = parser.parse_args()
    benchlib.run_header(args)
    rows, results = [], {}
    with benchlib.Workdir(args.workdir) as workdir:
        data_dirs = benchlib.prepare_data(workdir.path)
        for model_name, dataset_name, steps in CASES:
            every = steps // EVALUATIONS
            plain, evaluated, per_eval = [], [], []
            for round_index in range(args.repeats):
                order = [0, every] if round_index % 2 == 0 else [every, 0]
                for interval in order:
                    wall, eval_secs = run_train(model_name, dataset_name,
                                                steps, data_dirs, workdir,
                                                interval)
                    if interval:
                        evaluated.append(wall)
                        per_eval.extend(eval_secs)
                    else:
                        plain.append(wall)
            extra = (benchlib.median(evaluated) -
                     benchlib.median(plain)) / EVALUATIONS
            share = (EVALUATIONS * benchlib.median(per_eval) /
                     benchlib.median(evaluated))
            results[model_name] = {
                "dataset": dataset_name, "steps": steps,
                "eval_every_n_steps": every, "plain_wall_secs": plain,
                "evaluated_wall_secs": evaluated, "eval_secs": per_eval}
            rows.append([model_name, dataset_name, "%d" % steps,
                         "%d" % every, "%.1f" % benchlib.median(plain),
                         "%.1f" % benchlib.median(evaluated),
                         "%.2f" % benchlib.median(per_eval),
                         "%.2f" % extra, "%.0f%%" % (100 * share)])
    table = benchlib.markdown_table(
        ["network", "data", "steps", "eval every", "run without (s)",
         "run with (s)", "one evaluation (s)",
         "extra run time per evaluation (s)", "share of the run evaluating"],
        rows)
    benchlib.finish(args, "eval_during_training", results, table)


if __name__ == "__main__":
    main()
