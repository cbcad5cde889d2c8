"""Data sets in TF-Slim's layouts, read with tf.data.

`dataset_factory.get_dataset(name, split_name, dataset_dir)` is the entry
point: it returns a `DatasetSplit` that says what the split holds and makes
the `tf.data.Dataset` of `(image uint8 [H, W, C], label int64)` pairs.
"""

# The split an evaluation reads when none is named: the first of these the
# data set has. Both are held out from training.
HELD_OUT_SPLITS = ("test", "validation")
