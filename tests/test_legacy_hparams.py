"""Tests for slimtrain.legacy.hparams.HParams, tf.contrib.training.HParams
as TF 1.15 defined it: types fixed when added, `parse` syntax, conversions
and the errors for what does not fit."""

import json

import pytest

from slimtrain.legacy.hparams import HParams


def _hparams():
    return HParams(learning_rate=0.1, num_layers=3, name="resnet",
                   use_bias=True, sizes=[32, 64])


def test_values_are_attributes_and_a_dict():
    hparams = _hparams()
    assert hparams.learning_rate == 0.1 and hparams.sizes == [32, 64]
    assert hparams.values() == {"learning_rate": 0.1, "num_layers": 3,
                                "name": "resnet", "use_bias": True,
                                "sizes": [32, 64]}
    assert "num_layers" in hparams and "depth" not in hparams
    assert hparams.get("depth", 7) == 7 and hparams.get("num_layers") == 3
    assert str(HParams(a=1, b="x")) == "a=1,b=x"
    assert repr(HParams(b=2, a=1)) == "HParams([('a', 1), ('b', 2)])"


def test_parse_reads_each_type():
    hparams = _hparams().parse(
        "learning_rate=1,num_layers=5,name=vgg,use_bias=false,"
        "sizes=[8, 16,24]")
    assert hparams.values() == {"learning_rate": 1.0, "num_layers": 5,
                                "name": "vgg", "use_bias": False,
                                "sizes": [8, 16, 24]}
    assert isinstance(hparams.learning_rate, float)
    assert _hparams().parse("use_bias=0").use_bias is False
    assert _hparams().parse("use_bias=True").use_bias is True
    assert _hparams().parse("sizes[1]=128").sizes == [32, 128]
    assert _hparams().parse("").values() == _hparams().values()


@pytest.mark.parametrize("text, message", [
    ("num_layers=1.5", "Could not parse hparam 'num_layers' of type 'int'"),
    ("use_bias=maybe", "Could not parse hparam 'use_bias'"),
    ("depth=3", "Unknown hyperparameter type for depth"),
    ("num_layers=1,num_layers=2", "Multiple assignments to variable "
                                  "'num_layers'"),
    ("sizes[0]=1,sizes[0]=2", "Multiple assignments to variable 'sizes[0]'"),
    ("num_layers", "Malformed hyperparameter value: num_layers"),
    ("num_layers=[1,2]", "Must not pass a list for single-valued parameter"),
    ("sizes=3", "Must pass a list for multi-valued parameter"),
    ("sizes[0]=[1]", "Assignment of a list to a list index."),
])
def test_parse_refuses_what_does_not_fit(text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        _hparams().parse(text)


def test_set_hparam_converts_only_without_loss():
    hparams = _hparams()
    hparams.set_hparam("learning_rate", 2)
    assert hparams.learning_rate == 2.0 and isinstance(
        hparams.learning_rate, float)
    for name, value in (("num_layers", 2.5), ("name", 3), ("use_bias", 1),
                        ("num_layers", True), ("learning_rate", "fast")):
        with pytest.raises(ValueError, match="Could not cast hparam"):
            hparams.set_hparam(name, value)
    with pytest.raises(KeyError):
        hparams.set_hparam("depth", 3)


def test_override_json_and_deletion():
    hparams = _hparams().override_from_dict({"num_layers": 8})
    assert hparams.num_layers == 8
    hparams.parse_json('{"name": "alexnet", "sizes": [1, 2, 3]}')
    assert json.loads(hparams.to_json(sort_keys=True)) == {
        "learning_rate": 0.1, "num_layers": 8, "name": "alexnet",
        "use_bias": True, "sizes": [1, 2, 3]}
    hparams.del_hparam("name")
    hparams.del_hparam("not_there")
    assert "name" not in hparams.values()
    hparams.add_hparam("name", "again")
    assert hparams.name == "again"


def test_add_hparam_refuses_reserved_names_and_empty_lists():
    with pytest.raises(ValueError, match="reserved: values"):
        HParams(values=1)
    with pytest.raises(ValueError, match="cannot be empty: sizes"):
        HParams(sizes=[])
    with pytest.raises(ValueError, match="hparam_def"):
        HParams(hparam_def=b"proto")
