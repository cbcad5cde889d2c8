"""The benchmarks' readings of real train.py, eval.py and harness graphs.

The benchmark scripts (bench/) time train.py and eval.py by their log lines
and build their bare loops from the harness's own graph builders. These
tests run those pieces on the built-in digits, so that a change to a log
line or a builder that the benchmarks depend on fails here, not in the next
benchmark run.
"""

import json
import os
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, os.path.join(REPO, "bench"))
import benchlib  # noqa: E402
import eval_throughput  # noqa: E402


def test_training_cases_name_default_and_chosen_data_sets():
    assert benchlib.training_cases("lenet,cifarnet:cifar10") == [
        ("lenet", "lenet", "mnist_idx"),
        ("cifarnet:cifar10", "cifarnet", "cifar10")]
    assert benchlib.training_cases("lenet:mnist_idx") == [
        ("lenet", "lenet", "mnist_idx")]
    with pytest.raises(SystemExit, match="unknown network 'vgg_16'"):
        benchlib.training_cases("vgg_16")


def test_paired_ratios_pair_values_within_a_round():
    rounds = [{"a": 2.0, "b": 1.0}, {"a": 3.0}, {"a": 1.0, "b": 4.0}]
    assert benchlib.paired_ratios(rounds, "a", "b") == [2.0, 0.25]
    assert benchlib.median(benchlib.paired_ratios(rounds, "a", "b")) == 1.125


def test_a_ratio_cell_is_the_bold_median_and_the_range():
    assert benchlib.ratio_cell([0.9, 1.2, 1.0]) == "**1.000** (0.9-1.2)"
    assert benchlib.ratio_cell([1.5, 2.5], digits=2, unit="x",
                               bold=False) == "2.00x (1.5-2.5)"
    assert benchlib.ratio_cell([]) == "-"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 30-step LeNet run of train.py on the digits, and its train dir."""
    train_dir = str(tmp_path_factory.mktemp("train"))
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.TRAIN_PY, "--train_dir=" + train_dir,
         "--max_number_of_steps=30", "--log_every_n_steps=10",
         "--batch_size=32"], timeout=300)
    return run, train_dir


def test_train_py_progress_lines_time_its_steps(trained):
    run, _ = trained
    times = benchlib.progress_times(run.lines)
    assert sorted(times) == [1, 10, 20, 30]  # the first step, at once
    assert run.launched < times[10] < times[20] < times[30] < run.ended
    assert benchlib.rate(times, 10, 30, 32) == pytest.approx(
        20 * 32 / (times[30] - times[10]))
    cpu = run.cpu_seconds_between(times[10], times[30])
    assert 0 < cpu < 2 * (times[30] - times[10]) * os.cpu_count()
    assert max(rss for _, _, rss, _ in run.samples if rss) > 100 * 2**10


def test_eval_py_progress_and_bare_loop_measure_the_same_metrics(
        trained, tmp_path):
    _, train_dir = trained
    eval_dir = str(tmp_path / "eval")
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.EVAL_PY, eval_throughput.VERBOSE,
         "--checkpoint_dir=" + train_dir, "--eval_dir=" + eval_dir,
         "--batch_size=100"], timeout=300)
    times, total = eval_throughput.eval_batch_times(run)
    assert total == 4 and sorted(times) == [1, 2, 3, 4]  # 360 test images
    with open(os.path.join(eval_dir, "results.jsonl")) as handle:
        harness = json.loads(handle.readline())["metrics"]

    checkpoint = eval_throughput._latest_checkpoint(train_dir)
    for input_mode in ("memory", "pipeline"):
        bare = benchlib.ChildRun(
            [benchlib.PYTHON, benchlib.WORKERS_PY, "eval_limit",
             "--input=" + input_mode, "--split=test",
             "--checkpoint=" + checkpoint, "--batch_size=100"],
            timeout=300).result()
        assert len(bare["batch_end_times"]) == 4
        for name, value in harness.items():
            assert bare["metrics"][name] == pytest.approx(value, rel=1e-5)


def test_bare_training_loop_runs_the_harness_graph():
    for input_mode in ("memory", "pipeline"):
        result = benchlib.ChildRun(
            [benchlib.PYTHON, benchlib.WORKERS_PY, "limit", "--steps=5",
             "--input=" + input_mode], timeout=300).result()
        times = result["step_end_times"]
        assert len(times) == 5 and times == sorted(times)


def test_start_up_probe_trains_what_it_is_told_and_notes_each_phase(
        tmp_path):
    import startup

    train_dir = str(tmp_path / "probe")
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.WORKERS_PY, "train_probe",
         "--train_dir=" + train_dir, "--model_name=cifarnet",
         "--train_image_size=16", "--batch_size=2",
         "--max_number_of_steps=1"], timeout=300)
    # The probe's own flags (it has --model_name, --batch_size) reach train.py.
    with open(os.path.join(train_dir, "train_config.json")) as handle:
        config = json.load(handle)
    assert (config["model_name"], config["batch_size"]) == ("cifarnet", 2)
    stamps = run.result()
    ends = [stamps[stamp] for _, stamp in startup.TRAIN_PHASES]
    assert run.launched < ends[0] and ends == sorted(ends)
    phases = startup.phase_seconds(stamps, run.launched, startup.TRAIN_PHASES)
    assert list(phases) == [name for name, _ in startup.TRAIN_PHASES]
    # A phase whose stamp a checkout does not note is left out, and the
    # next phase takes its time.
    del stamps["train_op_start"]
    partial = startup.phase_seconds(stamps, run.launched, startup.TRAIN_PHASES)
    assert "summaries, learning rate" not in partial
    assert partial["gradients, optimizer"] == pytest.approx(
        stamps["train_op_built"] - stamps["forward_built"])

    bare = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.WORKERS_PY, "bare_start",
         "--model_name=lenet", "--batch_size=2"], timeout=300)
    stamps = bare.result()
    ends = [stamps[stamp] for _, stamp in startup.BARE_PHASES]
    assert bare.launched < ends[0] and ends == sorted(ends)


def test_distributed_overhead_reads_the_chiefs_progress_lines():
    import distributed_overhead

    # The launcher's output, timed as it arrived; the chief's lines with
    # and without absl's prefix (an older checkout printed it).
    lines = [(100.0, "[ps:0] step 12/99: loss = 1\n"),
             (101.0, "[worker:0] step 12/99: loss = 1\n"),
             (102.0, "[worker:1] step 20/99: loss = 1\n"),
             (103.0, "[worker:0] I1124 10:00:03.000000 1 x.py:1] step 51/99: "
                     "loss = 1\n"),
             (109.0, "[worker:0] step 99/99: loss = 1 (cross-entropy 0.5, "
                     "regularization 0.5), 8 examples/sec, ETA 0:00:00\n")]
    chief = distributed_overhead.chief_output("cluster_sync", lines)
    times = benchlib.progress_times(chief)
    assert times == {12: 101.0, 51: 103.0, 99: 109.0}
    # From step 51 (the first logged after the warm-up) to 99: 48 steps of
    # 2 x 8 examples in 6 s.
    assert distributed_overhead.steady_rate(
        times, 50, 99, distributed_overhead.examples_per_step(
            "cluster_sync", 8)) == pytest.approx(48 * 16 / 6.0)
    assert distributed_overhead.chief_output("two_clones", lines) == lines


def test_jpeg_input_bench_measures_slimtrain_against_slims_queues(tmp_path):
    """A tiny run of bench/jpeg_input.py: its data, two of its variants
    (one through tf-slim's DatasetDataProvider and queue runners), its
    table."""
    output = tmp_path / "jpeg.json"
    run = benchlib.ChildRun(
        [benchlib.PYTHON, os.path.join(REPO, "bench", "jpeg_input.py"),
         "--num_images=4", "--seconds=0.2", "--repeats=1", "--batch_size=2",
         "--eval_batch_size=2", "--variants=slimtrain,slim_queues",
         "--workdir=" + str(tmp_path), "--json=" + str(output)], timeout=300)
    with open(output) as handle:
        results = json.load(handle)["jpeg_input"]
    assert set(results["examples_per_sec"]) == {"slimtrain", "slim_queues"}
    assert all(value > 0 for value in results["cpu_ms_per_example"].values())
    assert "| slimtrain/slim_queues | **" in run.output


def test_image_folder_bench_reads_the_folder_and_its_conversion(tmp_path):
    """A tiny run of bench/image_folder_input.py: a folder of photos, its
    TFRecords, the training input of each, their ratio."""
    output = tmp_path / "folder.json"
    run = benchlib.ChildRun(
        [benchlib.PYTHON, os.path.join(REPO, "bench", "image_folder_input.py"),
         "--num_images=6", "--seconds=0.2", "--repeats=1", "--batch_size=2",
         "--variants=folder,records", "--workdir=" + str(tmp_path),
         "--json=" + str(output)], timeout=400)
    with open(output) as handle:
        results = json.load(handle)["image_folder_input"]
    assert set(results["examples_per_sec"]) == {"folder", "records"}
    assert all(value > 0 for value in results["cpu_ms_per_example"].values())
    assert results["ratios"]["folder/records"]["median"] > 0
    assert "| 6 JPEGs: examples/sec | **" in run.output
    photos = tmp_path / "data" / "image_folder_input_6" / "photos"
    assert sorted(os.listdir(photos)) == ["class%d" % i for i in range(5)]
