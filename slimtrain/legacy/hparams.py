"""`HParams`: `tf.contrib.training.HParams`, which TensorFlow 2 removed.

A set of named hyperparameters whose types are fixed when they are added:

  hparams = HParams(learning_rate=0.1, num_layers=3, activations=["relu"])
  hparams.parse("learning_rate=0.3,activations=[relu,tanh]")
  hparams.learning_rate  # 0.3
  hparams.values()       # {"learning_rate": 0.3, "num_layers": 3, ...}

The behaviour follows TF 1.15's class: a value's type is the type of the
value it was added with (for a list, of its first element); `parse` reads
"name=value" pairs separated by commas, lists in square brackets and
"name[i]=value" for one element of a list; `set_hparam` and
`override_from_dict` accept a value that converts without loss (an int for
a float, not a float for an int, no number for a string, no bool for a
number and no number for a bool). The protocol-buffer form (`hparam_def`,
`to_proto`) is not offered.
"""

import json
import numbers
import re

# One "name=value", "name=[v1,v2]" or "name[3]=value" clause of `parse`.
_CLAUSE = re.compile(r"""
  (?P<name>[a-zA-Z][\w.]*)
  (\[\s*(?P<index>\d+)\s*\])?
  \s*=\s*
  ((?P<value>[^,\[]*) | \[(?P<values>[^\]]*)\])
  ($|,\s*)""", re.VERBOSE)


class HParams:
    """Hyperparameters as attributes, with types fixed when added."""

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        """Adds each keyword argument as a hyperparameter.

        Args:
          hparam_def: the serialized form of TF 1; not supported, must be
            None.
          model_structure: any object, kept for `get_model_structure`.
          **kwargs: name=value pairs; a value is an int, float, bool,
            string, or a non-empty list of one of those.

        Raises:
          ValueError: for `hparam_def`, or a name or value `add_hparam`
            refuses.
        """
        if hparam_def is not None:
            raise ValueError("HParams(hparam_def=...) is not supported: "
                             "pass the values as keyword arguments")
        self._hparam_types = {}
        self._model_structure = model_structure
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """Adds a hyperparameter whose type is that of `value`.

        Raises:
          ValueError: if `name` is already an attribute (a method, or a
            hyperparameter with a value), or `value` is an empty list.
        """
        if getattr(self, name, None) is not None:
            raise ValueError("Hyperparameter name is reserved: %s" % name)
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(
                    "Multi-valued hyperparameters cannot be empty: %s" % name)
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Sets an existing hyperparameter, converting `value` to its type.

        Raises:
          KeyError: if there is no hyperparameter `name`.
          ValueError: if `value` is a list for a single value, or the other
            way round, or does not convert (see the module docstring).
        """
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError("Must not pass a list for single-valued "
                                 "parameter: %s" % name)
            setattr(self, name, [_converted(name, param_type, item)
                                 for item in value])
        else:
            if is_list:
                raise ValueError(
                    "Must pass a list for multi-valued parameter: %s." % name)
            setattr(self, name, _converted(name, param_type, value))

    def del_hparam(self, name):
        """Removes a hyperparameter; does nothing if there is none."""
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Overrides hyperparameters from a string such as
        "a=1,b=[2,3],c[0]=4,name=text". Returns self.

        Raises:
          ValueError: if the string is malformed, names an unknown
            hyperparameter, assigns one twice, or has a value of the wrong
            type.
        """
        types = {name: param_type
                 for name, (param_type, _) in self._hparam_types.items()}
        parsed = parse_values(values, types)
        for name, value in parsed.items():
            if isinstance(value, dict):  # name[index]=value clauses
                items = list(getattr(self, name))
                for index, item in value.items():
                    items[index] = item
                value = items
            self.set_hparam(name, value)
        return self

    def override_from_dict(self, values_dict):
        """Sets each name: value of `values_dict` with `set_hparam`.
        Returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_from_map(self, values_map):
        """The old name of `override_from_dict`."""
        return self.override_from_dict(values_map)

    def set_model_structure(self, model_structure):
        self._model_structure = model_structure

    def get_model_structure(self):
        return self._model_structure

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The values as a JSON object (`json.dumps` arguments)."""
        return json.dumps(self.values(), indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def parse_json(self, values_json):
        """Overrides hyperparameters from a JSON object. Returns self."""
        return self.override_from_dict(json.loads(values_json))

    def values(self):
        """{name: value} of every hyperparameter."""
        return {name: getattr(self, name) for name in self._hparam_types}

    def get(self, key, default=None):
        """The value of `key`, or `default` if there is no such one.

        Raises:
          ValueError: if `key` exists and `default` does not fit its type.
        """
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            if is_list != isinstance(default, list):
                raise ValueError("Hparam '%s' is incompatible with default=%s"
                                 % (key, default))
            for item in default if is_list else [default]:
                _converted(key, param_type, item)
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return ",".join("%s=%s" % item for item in self.values().items())

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           sorted(self.values().items()))


def parse_values(values, types):
    """Reads a `parse` string into {name: value}.

    Args:
      values: the string.
      types: {name: type} of the known hyperparameters (a list's element
        type for a list).

    Returns:
      {name: value, list of values, or {index: value}}.

    Raises:
      ValueError: as `HParams.parse` says.
    """
    parsed = {}
    position = 0
    while position < len(values):
        match = _CLAUSE.match(values, position)
        if not match:
            raise ValueError(
                "Malformed hyperparameter value: %s" % values[position:])
        position = match.end()
        name, index = match.group("name"), match.group("index")
        if name not in types:
            raise ValueError("Unknown hyperparameter type for %s" % name)
        read = _reader(name, types[name], values)
        if match.group("values") is not None:
            if index is not None:
                raise ValueError("Assignment of a list to a list index.")
            if name in parsed:
                _assigned_twice(name, values)
            parsed[name] = [read(item) for item in
                            re.split("[ ,]", match.group("values")) if item]
        elif index is None:
            if name in parsed:
                _assigned_twice(name, values)
            parsed[name] = read(match.group("value"))
        else:
            elements = parsed.setdefault(name, {})
            if not isinstance(elements, dict) or int(index) in elements:
                _assigned_twice("%s[%s]" % (name, index), values)
            elements[int(index)] = read(match.group("value"))
    return parsed


def _reader(name, param_type, values):
    """The function reading one value of `param_type` from text."""

    def read(text):
        try:
            if param_type is bool:
                if text in ("true", "True"):
                    return True
                if text in ("false", "False"):
                    return False
                return bool(int(text))
            return param_type(text)
        except ValueError:
            raise ValueError(
                "Could not parse hparam '%s' of type '%s' with value '%s' "
                "in %s" % (name, param_type.__name__, text, values)) from None

    return read


def _assigned_twice(name, values):
    raise ValueError("Multiple assignments to variable '%s' in %s"
                     % (name, values))


def _converted(name, param_type, value):
    """`value` as `param_type` where that loses nothing; else ValueError."""
    if type(value) is param_type:  # pylint: disable=unidiomatic-typecheck
        return value
    if issubclass(param_type, type(None)):
        return value
    refused = (
        (issubclass(param_type, (str, bytes)) and
         not isinstance(value, (str, bytes))) or
        issubclass(param_type, bool) != isinstance(value, bool) or
        (issubclass(param_type, numbers.Integral) and
         not isinstance(value, numbers.Integral)) or
        (issubclass(param_type, numbers.Number) and
         not isinstance(value, numbers.Number)))
    if refused:
        raise ValueError("Could not cast hparam '%s' of type '%s' from value "
                         "%r" % (name, param_type, value))
    return param_type(value)
