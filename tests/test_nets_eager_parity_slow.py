"""The second half of tests/test_nets_eager_parity.py's slow networks.

A file of its own, so that the suite's workers (one file each at a time)
run the two halves side by side.
"""

import pytest

from tests import test_nets_eager_parity as parity
from tests.eager_helpers import launcher, run_without_tf_keras


@launcher
@pytest.mark.slow
def test_slow_networks_without_tf_keras_second_half():
    run_without_tf_keras(parity.__file__, 'slow', parity.slow_test_ids(1))
