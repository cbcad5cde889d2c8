"""Evaluation: metrics of checkpoints, once, as they appear, or during training.

- `config`: `EvalConfig`, one field per `eval.py` flag; `run_settings`:
  the settings a train dir's `train_config.json` supplies.
- `evaluator`: `CheckpointEvaluator`, which evaluates one checkpoint.
- `loop`: `run_evaluation(config)`, which picks the checkpoints and stops,
  and `ResultRecorder`, which records each result as eval.py does.
- `results`: `results.jsonl` and the printed table.
- `best`: `BestCheckpointKeeper`, the copy of the best checkpoint in `best/`.
- `during_training`: the training hook that evaluates the chief's
  checkpoints (`EvaluationHook`), and `train_and_evaluate`.

May import: slimtrain.training, slimtrain.scenarios, slimtrain.compute,
slimtrain.data, slimtrain.rundir, slimtrain.settings, slimtrain.errors.
"""
