"""The zoo's networks as TensorFlow 2 modules: eager, `tf.function`, SavedModel.

`network(name, num_classes)` wraps any network of `nets_factory.networks_map`
in a `tf.Module`. Calling the module runs the unchanged TF-Slim builder, under
its arg_scope, on eager tensors or inside a `tf.function`, and returns what
the builder returns in a graph, `(logits, end_points)`:

  import tensorflow as tf
  from nets import eager

  net = eager.network('inception_v3', num_classes=1001)
  net.load_checkpoint('inception_v3.ckpt')       # a model-zoo or train.py checkpoint
  logits, end_points = net(images)               # eagerly
  predict = tf.function(net)                     # or compiled, one trace per signature
  logits, _ = predict(images)

The first call creates the variables, once, under exactly the names of the
TF-Slim checkpoints (`InceptionV3/Conv2d_1a_3x3/weights`, no prefix); later
calls, in either mode and either `is_training`, reuse them. They are
attributes of the module, so `net.variables`, `net.trainable_variables`,
`tf.train.Checkpoint(net=net)` and `tf.saved_model.save(net, ...)` see them.

How: every `tf.compat.v1.get_variable` the builder makes goes through a
custom getter of the module's own root variable scope. The getter returns the
module's variable of that name if there is one, and otherwise creates it
under `tf.init_scope()`, i.e. eagerly even while a `tf.function` is being
traced, so tracing never creates variables and never traces twice. This is
TensorFlow's own v1 machinery (variable scopes and custom getters); no Keras
and no tf_keras is involved.

Training: with `is_training=True` batch normalization normalizes with the
batch statistics and updates its moving averages as part of the call, eagerly
and inside `tf.function` alike (TF-Slim's update ops run where they are
created; nothing needs to be fetched from UPDATE_OPS). The weight decay of
the arg_scope is not added to any collection in TensorFlow 2; it is returned
by `regularization_losses()` for the training loss.
"""

import contextlib

import tensorflow as tf
import tf_slim as slim
from tensorflow.core.protobuf import rewriter_config_pb2
from tensorflow.python.ops import variable_scope

import slimtrain  # noqa: F401  (applies slimtrain.compat before tf_slim builds)
from nets import nets_factory
from slimtrain.errors import ConfigError
from slimtrain.rundir import checkpoint_reading
from slimtrain.settings import split_comma_list

# Networks whose training mode builds what their inference mode does not:
# NASNet and PNASNet add auxiliary heads and take their drop-path schedule
# from the graph's global step. nets.eager runs them in inference mode only.
INFERENCE_ONLY = ('nasnet_', 'pnasnet_')

# The session `build` runs the initializers in, once: Grappler's rewriting
# of that graph would cost more than the run (2.4 s of resnet_v1_200's 9.4 s
# build).
_RUN_ONCE = tf.compat.v1.ConfigProto(
    graph_options=tf.compat.v1.GraphOptions(
        rewrite_options=rewriter_config_pb2.RewriterConfig(
            disable_meta_optimizer=True)))


def network(name, num_classes, is_training=False, weight_decay=0.0,
            arg_scope=None, **network_kwargs):
    """Returns the zoo network `name` as a `SlimNetwork` (a `tf.Module`).

    Args:
      name: a key of `nets_factory.networks_map`.
      num_classes: the number of classes; 0 or None builds the network
        without its logits layer, as `nets_factory.get_network_fn` does.
      is_training: the default mode of the module's calls.
      weight_decay: the L2 coefficient the network's arg_scope receives.
      arg_scope: the arg_scope dict to build under; by default the network's
        own, `nets_factory.arg_scopes_map[name](weight_decay=weight_decay)`.
      **network_kwargs: further arguments of the network's builder
        (`dropout_keep_prob`, `global_pool`, `spatial_squeeze`, ...).

    Raises:
      ValueError: if `name` is not a network of `nets_factory.networks_map`.
    """
    return SlimNetwork(name, num_classes, is_training=is_training,
                       weight_decay=weight_decay, arg_scope=arg_scope,
                       **network_kwargs)


class SlimNetwork(tf.Module):
    """A TF-Slim network of the zoo whose variables a `tf.Module` owns.

    Call it as `logits, end_points = module(images, is_training=None)`:
    `images` is a float32 batch [batch, height, width, channels]; an
    `is_training` of None takes the mode given to the constructor. The first
    call creates the variables (from the network's initializers, or from a
    checkpoint loaded before); `build(input_shape)` does that without images.
    """

    def __init__(self, name, num_classes, is_training=False, weight_decay=0.0,
                 arg_scope=None, **network_kwargs):
        if name not in nets_factory.networks_map:
            raise ValueError(
                'Name of network unknown %s; valid names are: %s' %
                (name, ', '.join(sorted(nets_factory.networks_map))))
        super().__init__(name=name)
        self.network_name = name
        self.num_classes = num_classes
        self.is_training = is_training
        self._builder = nets_factory.networks_map[name]
        self._arg_scope = (arg_scope if arg_scope is not None else
                           nets_factory.arg_scopes_map[name](
                               weight_decay=weight_decay))
        self._network_kwargs = network_kwargs
        # Checkpoint name -> variable. A dict attribute is tracked by
        # tf.Module (variables, Checkpoint, SavedModel) under these names.
        self.slim_variables = {}
        self._regularizers = {}
        # get_variable checks each new name against the variable store of
        # the graph, which a function's graph shares with the global one: a
        # store of the module's own keeps two modules of one network (same
        # names) apart. The custom getter answers for names already made.
        # Legacy layers (conv2d, fully_connected) report their weights'
        # regularizers to that store, the only place they are still told.
        self._variable_store = _RegularizerRecordingStore(self._regularizers)
        self._traced_call = tf.function(self._build_network, autograph=False)

    @property
    def default_image_size(self):
        """The network's default input size, or None if it has none."""
        return getattr(self._builder, 'default_image_size', None)

    @property
    def tracing_count(self):
        """How many graphs calls from eager code have traced so far.

        One per input signature (shape, dtype) and `is_training` value;
        it stays put while the calls repeat a signature.
        """
        return self._traced_call.experimental_get_tracing_count()

    @property
    def built(self):
        """Whether the variables exist (after the first call or `build`)."""
        return bool(self.slim_variables)

    def __call__(self, images, is_training=None):
        """Runs the network on `images`; returns `(logits, end_points)`.

        From eager code the network runs as a graph function, traced once
        per input signature and mode: several nets (VGG, AlexNet, OverFeat,
        MobileNet v2/v3) read tensor names, which eager tensors lack, and
        cannot run op by op; a graph function also runs faster.
        Inside a `tf.function` the network is built into the caller's
        graph, on variables that must exist already.

        Raises:
          RuntimeError: if called inside a `tf.function` (or any graph)
            before the variables exist: call the module once from eager
            code, or `build()` or `load_checkpoint()`, first.
          ConfigError: training mode for a network of INFERENCE_ONLY.
        """
        if is_training is None:
            is_training = self.is_training
        if is_training and self.network_name.startswith(INFERENCE_ONLY):
            raise ConfigError(
                '%s runs in inference mode only in nets.eager: its training '
                'mode adds auxiliary heads and a drop-path schedule on the '
                "graph's global step; train it with train.py and load the "
                'checkpoint' % self.network_name)
        images = tf.convert_to_tensor(images, dtype_hint=tf.float32)
        self.build(images.shape)
        if tf.executing_eagerly():
            return self._traced_call(images, is_training)
        return self._build_network(images, is_training)

    @tf.autograph.experimental.do_not_convert
    def _build_network(self, images, is_training):
        """Builds the network on `images` in the current graph (or eagerly).

        Every variable comes from the module (`_get_variable`) whatever the
        caller's variable scope, and nothing stays behind in graph
        collections (`_collections_kept_clean`).
        """
        root = tf.compat.v1.VariableScope(
            reuse=False, name='', custom_getter=self._get_variable)
        with variable_scope.with_variable_store(self._variable_store), \
                _collections_kept_clean(), \
                tf.compat.v1.variable_scope(root, auxiliary_name_scope=False), \
                slim.arg_scope(self._arg_scope):
            return self._builder(images, num_classes=self.num_classes,
                                 is_training=is_training,
                                 **self._network_kwargs)

    def inference_function(self, input_shape=None):
        """A `tf.function` from images to `{'logits': ...}`, for SavedModel.

        Traced in inference mode for batches of any size of `input_shape`
        images ([height, width, channels]; by default the network's default
        size), so `tf.saved_model.save(module, path,
        signatures=module.inference_function())` exports it as the serving
        signature, called `images`.
        """
        example = self._example_shape(input_shape)
        spec = tf.TensorSpec([None] + example[1:], tf.float32, name='images')

        @tf.function(input_signature=[spec])
        def infer(images):
            logits, _ = self(images, is_training=False)
            return {'logits': logits}

        return infer

    def build(self, input_shape=None):
        """Creates the variables, initialized as the network initializes them.

        The network is built once in a throwaway tf.Graph, where every
        TF-Slim and network code path works; its variables are initialized
        there by a Session and become the module's (eager) variables under
        the same names. Does nothing if the variables exist.

        Args:
          input_shape: [height, width, channels] or [batch, height, width,
            channels] of the images the network will see; by default the
            network's default image size with 3 channels (1 for LeNet).

        Raises:
          RuntimeError: if called inside a `tf.function` (or a graph).
        """
        if self.built:
            return
        if not tf.executing_eagerly():
            raise RuntimeError(
                '%s has no variables yet: call build() or load_checkpoint(), '
                'or call it once, from eager code before using it inside a '
                'tf.function' % self.network_name)
        shape = self._example_shape(input_shape)
        try:
            with tf.Graph().as_default():
                self._build_network(
                    tf.compat.v1.placeholder(tf.float32, shape), False)
                in_graph = dict(self.slim_variables)
                with tf.compat.v1.Session(config=_RUN_ONCE) as sess:
                    sess.run(tf.compat.v1.variables_initializer(
                        list(in_graph.values())))
                    values = sess.run(in_graph)
        except BaseException:
            self.slim_variables.clear()
            self._regularizers.clear()
            raise
        for name, variable in in_graph.items():
            self.slim_variables[name] = tf.Variable(
                values[name], name=name, trainable=variable.trainable,
                dtype=variable.dtype.base_dtype)

    def regularization_losses(self):
        """The weight-decay losses of the arg_scope, for the current weights.

        TF-Slim adds these to the REGULARIZATION_LOSSES collection in a graph;
        a TF 2 training loop adds `tf.add_n(module.regularization_losses())`
        to its loss instead. Empty before the first call or without weight
        decay.
        """
        losses = []
        for name, regularizer in sorted(self._regularizers.items()):
            loss = regularizer(self.slim_variables[name])
            if loss is not None:
                losses.append(loss)
        return losses

    def load_checkpoint(self, path, exclude_scopes=()):
        """Assigns the module's variables from a TF-Slim checkpoint, by name.

        Creates the variables first (`build()`) if the module has not been
        called yet. Nothing is assigned unless every variable to load is in
        the checkpoint with its shape.

        Args:
          path: a checkpoint prefix (`model.ckpt-2000`), or a directory whose
            `checkpoint` file names the latest one (a train.py train_dir).
          exclude_scopes: variable-name prefixes to leave as they are, such
            as the logits scope when the class count differs (a list, or the
            comma-separated string of `--checkpoint_exclude_scopes`).

        Returns:
          The sorted names of the variables assigned.

        Raises:
          ConfigError: if there is no readable checkpoint at `path`, or a
            variable to load is missing from it or has another shape there;
            the message names the variables.
        """
        if exclude_scopes is None or isinstance(exclude_scopes, str):
            exclude_scopes = split_comma_list(exclude_scopes)
        checkpoint = checkpoint_reading.resolve_checkpoint(path, flag='path')
        shapes = checkpoint_reading.read_shapes(checkpoint, flag='path')
        self.build()
        wanted = {name: variable
                  for name, variable in sorted(self.slim_variables.items())
                  if not checkpoint_reading.excluded(name, exclude_scopes)}
        _, missing, mismatched = checkpoint_reading.compare_with_checkpoint(
            wanted, shapes)
        if mismatched:
            raise ConfigError(
                '%s has other shapes for %d variable(s) of %s: %s: pass their '
                'scopes in exclude_scopes (usually the logits layer).' %
                (checkpoint, len(mismatched), self.network_name,
                 checkpoint_reading.describe_mismatches(mismatched)))
        if missing:
            raise ConfigError(
                '%s lacks %d variable(s) of %s: %s: use a checkpoint of this '
                'network, or pass their scopes in exclude_scopes.' %
                (checkpoint, len(missing), self.network_name,
                 checkpoint_reading.describe_names(missing)))
        reader = tf.train.load_checkpoint(checkpoint)
        for name, variable in wanted.items():
            variable.assign(reader.get_tensor(name))
        return sorted(wanted)

    def _get_variable(self, getter, name, *args, **kwargs):
        """The custom getter: the module's variable `name`, made once.

        The regularizer is kept back and applied by `regularization_losses`:
        a loss computed once when the variable is created would not follow
        the variable's later values.
        """
        variable = self.slim_variables.get(name)
        if variable is not None:
            return variable
        regularizer = kwargs.pop('regularizer', None)
        variable = getter(name, *args, **kwargs)
        self.slim_variables[name] = variable
        if regularizer is not None:
            self._regularizers[name] = regularizer
        return variable

    def _example_shape(self, input_shape):
        """[1, height, width, channels] ([1, frames, height, width, channels]
        for the video networks): input_shape's, or the defaults.

        Unknown dimensions of `input_shape` take the network's default image
        size and channel count (1 for LeNet, which takes MNIST images), and
        research/slim's clip length for the video networks.
        """
        size = self.default_image_size
        channels = 1 if self.network_name == 'lenet' else 3
        dims = [size, size, channels]
        if self.network_name in nets_factory.VIDEO_NETWORKS:
            dims.insert(0, nets_factory.DEFAULT_CLIP_FRAMES)
        if input_shape is not None:
            given_dims = tf.TensorShape(input_shape).as_list()[-len(dims):]
            dims = [given if given is not None else default
                    for given, default in zip(given_dims, dims)]
        if None in dims:
            raise ValueError('%s has no default image size: pass the image '
                             'shape to build()' % self.network_name)
        return [1] + dims


class _RegularizerRecordingStore(variable_scope._VariableStore):  # pylint: disable=protected-access
    """A variable store that keeps the regularizers reported to it.

    TensorFlow's legacy layers, behind slim.conv2d and fully_connected, hand
    each weight's regularizer to the variable store's `add_regularizer`
    where it has one (the hook TensorFlow kept for its TF 2 variable-scope
    shim): `regularizers` maps the variable's name to it.
    """

    def __init__(self, regularizers):
        super().__init__()
        self.regularizers = regularizers

    def add_regularizer(self, variable, regularizer):
        self.regularizers[variable.name.split(':')[0]] = regularizer


@contextlib.contextmanager
def _collections_kept_clean():
    """Drops what an eager run adds to the global graph's collections.

    TF-Slim adds its batch-norm updates (already applied when executed
    eagerly) and the nets their end points to graph collections. Executed
    eagerly (under `tf.config.run_functions_eagerly(True)`) these land in
    the process-wide default graph, where they would pile up call after
    call, and a network that reads its end points back from a collection
    would see earlier calls' tensors. In a function's graph they vanish
    with the graph, so nothing is done there.
    """
    if not tf.executing_eagerly():
        yield
        return
    graph = tf.compat.v1.get_default_graph()
    sizes = {key: len(graph.get_collection_ref(key))
             for key in graph.get_all_collection_keys()}
    try:
        yield
    finally:
        for key in graph.get_all_collection_keys():
            del graph.get_collection_ref(key)[sizes.get(key, 0):]
