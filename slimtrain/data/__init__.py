"""Data: data sets, preprocessing and the tf.data input pipeline.

- `datasets`: each data set's splits by name (`dataset_factory`), the
  on-disk formats (TFRecord, MNIST IDX, CIFAR-10 binary, the built-in
  digits, a folder of photos: `image_folder`), the converters behind
  `slimtrain convert` and its sample images (`samples`).
- `preprocessing`: research/slim's preprocessing functions by name
  (`preprocessing_factory`), with per-example seeds.
- `input_pipeline`: records -> shuffled, preprocessed, batched tensors.
- `record_check`: reads a split's first records before a run writes
  anything, and names the file and record of a read error found later.

Nothing here knows about networks, losses or training. A new data set is
a format module in `datasets` and an entry in `dataset_factory`.

May import: slimtrain.errors.
"""
