"""What the benchmark scripts share, in four parts:

- `data`: the data sets every benchmark runs on, made locally;
- `processes`: child processes, their timings and results, the machine;
- `report`: rounds, medians, ratios and their tables;
- `inputs`: the frame of the input benchmarks, which drain variants of an
  input pipeline.

Every figure is measured in a fresh child process and the scripts alternate
the things they compare, round after round, on the same data; they report
medians, and ratios taken within each round and then their median. The
scripts use the names below as `benchlib.NAME`.
"""

from .data import (  # noqa: F401
    MODELS,
    dataset_flags,
    digits_dir,
    photo_like_image,
    prepare_data,
    training_cases,
)
from .inputs import (  # noqa: F401
    input_argument_parser,
    measure_variants,
    run_input_benchmark,
)
from .processes import (  # noqa: F401
    BENCH_DIR,
    EVAL_PY,
    PYTHON,
    REPO_ROOT,
    RESULT_PREFIX,
    TRAIN_PY,
    WORKERS_PY,
    ChildRun,
    LoadMonitor,
    child_env,
    drain,
    load_average,
    machine_info,
    messages,
    print_result,
    progress_times,
    rate,
    wait_for_quiet,
)
from .report import (  # noqa: F401
    Workdir,
    argument_parser,
    finish,
    load_note,
    markdown_table,
    median,
    paired_ratios,
    ratio_cell,
    run_benchmark,
    run_header,
    run_rounds,
    spread,
    throughput_summary,
    throughput_tables,
)
