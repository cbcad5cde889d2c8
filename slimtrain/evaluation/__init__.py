"""Evaluation: metrics of checkpoints, once or as training goes on.

- `config`: `EvalConfig`, one field per `eval.py` flag, and the defaults a
  train dir's `train_config.json` supplies.
- `evaluator`: `CheckpointEvaluator`, which evaluates one checkpoint.
- `loop`: `run_evaluation(config)`, which picks the checkpoints and stops,
  and `ResultRecorder`, which records each result as eval.py does.
- `results`: `results.jsonl` and the printed table.
- `best`: `BestCheckpointKeeper`, the copy of the best checkpoint in `best/`.
"""
