"""TensorFlow's own `SessionRunHook`s in slimtrain's loop.

TF 1 training code monitors a run with `tf.compat.v1.train.SessionRunHook`s:
`LoggingTensorHook`, `NanTensorHook`, `StopAtStepHook`, `ProfilerHook` or a
hook of its own. `SessionRunHookAdapter` makes one a slimtrain `Hook`,
phase for phase:

  SessionRunHook                    slimtrain Hook
  begin()                           setup(): in the graph, before the session
  after_create_session(session, c)  begin(session, step), the first time
  before_run(run_context)           before_step: its SessionRunArgs' fetches,
                                    feeds and options ride in the step's own
                                    `session.run`, so the hook never takes a
                                    batch of its own
  after_run(run_context, values)    after_step; run_context.request_stop()
                                    ends the run after this step, cleanly:
                                    its checkpoint is saved, exit status 0
  end(session)                      end(session, step)

A `NanTensorHook` that fails the run raises `NanLossDuringTrainingError`:
it becomes the harness's one-line `DivergedError` (exit status 3).

`hooks_from_factories(--hooks)` imports and calls the factories the flag
names (`package.module:attribute`), in the training graph; `set_up(hooks)`
runs the setup phase of the caller's hooks before anything is written, so
that a factory or a hook that fails (a LoggingTensorHook given a tensor name
the graph lacks, say) is one line, exit status 2, with nothing written.
"""

import importlib

import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError, DivergedError, first_line
from slimtrain.settings import split_comma_list
from slimtrain.training.hooks.base import Hook, StepArgs


class SessionRunHookAdapter(Hook):
    """A `tf.compat.v1.train.SessionRunHook` as a slimtrain `Hook`."""

    def __init__(self, hook):
        self.hook = hook
        # A hook may stop the run through the coordinator it is given, as
        # in a MonitoredSession; it is read after every step.
        self._coordinator = tf.train.Coordinator()
        self._created = False
        self._run_context = None
        self._options = None

    def setup(self):
        self.hook.begin()

    def begin(self, session, step):
        if not self._created:  # not again after a rollback
            self._created = True
            self.hook.after_create_session(session, self._coordinator)

    def before_step(self, context):
        self._run_context = tf.train.SessionRunContext(
            original_args=tf.train.SessionRunArgs(None),
            session=context.session)
        args = self.hook.before_run(self._run_context)
        if args is None:
            self._options = None
            return None
        self._options = args.options
        return StepArgs(fetches=args.fetches, feed_dict=args.feed_dict,
                        options=args.options)

    def after_step(self, context, values):
        try:
            self.hook.after_run(self._run_context, tf.train.SessionRunValues(
                results=values, options=self._options,
                run_metadata=context.run_metadata))
        except tf.train.NanLossDuringTrainingError:
            raise DivergedError(
                "%s saw a NaN loss at global step %d: lower --learning_rate "
                "or set --clip_gradient_norm." % (
                    type(self.hook).__name__, context.step)) from None
        if self._run_context.stop_requested or self._coordinator.should_stop():
            context.request_stop()

    def end(self, session, step):
        self.hook.end(session)


def as_hooks(hooks):
    """`hooks` as slimtrain `Hook`s: SessionRunHooks adapted, others as
    they are.

    Raises:
      ConfigError: an object that is neither.
    """
    adapted = []
    for hook in hooks:
        if isinstance(hook, tf.train.SessionRunHook):
            hook = SessionRunHookAdapter(hook)
        elif not isinstance(hook, Hook):
            raise ConfigError(
                "%r is not a hook: give tf.compat.v1.train.SessionRunHook or "
                "slimtrain.training.hooks.Hook objects." % (hook,))
        adapted.append(hook)
    return adapted


def resolve_factories(text):
    """Imports the factories --hooks names; a ConfigError names a bad one.

    Args:
      text: comma-separated `package.module:attribute` entries.

    Returns:
      The callables, in order.
    """
    factories = []
    for entry in split_comma_list(text):
        module_name, _, attribute = entry.partition(":")
        if not module_name or not attribute:
            raise ConfigError(
                "--hooks has %r: name each hook factory as "
                "package.module:attribute, e.g. my_hooks:logging_hooks."
                % entry)
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # whatever the user's module raised
            raise ConfigError("--hooks=%s: module %s does not import (%s: "
                              "%s): fix it, or check the name." % (
                                  entry, module_name, type(error).__name__,
                                  error)) from None
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise ConfigError("--hooks=%s: module %s has no callable %r: "
                              "name a function that returns the hooks."
                              % (entry, module_name, attribute))
        factories.append(factory)
    return factories


def hooks_from_factories(factories):
    """Calls each factory (in the training graph: it may look tensors up,
    e.g. `tf.train.get_global_step()`); returns their hooks, one or a list
    each, as slimtrain `Hook`s."""
    hooks = []
    for factory in factories:
        made = _user_call(factory, "--hooks factory %s" % factory.__name__)
        hooks.extend(made if isinstance(made, (list, tuple)) else [made])
    return as_hooks(hooks)


def set_up(hooks):
    """Runs each hook's setup phase (in the training graph, before the
    session); one that fails is a ConfigError naming it."""
    for hook in hooks:
        inner = hook.hook if isinstance(hook, SessionRunHookAdapter) else hook
        _user_call(hook.setup, "hook %s" % type(inner).__name__)


def _user_call(function, what):
    """`function()`; whatever the user's code raises becomes one line."""
    try:
        return function()
    except Exception as error:  # whatever the user's code raised
        raise ConfigError("%s failed (%s: %s): fix it, or leave it out." % (
            what, type(error).__name__, first_line(error))) from None
