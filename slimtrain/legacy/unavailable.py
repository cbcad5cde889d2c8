"""The error a legacy program gets where it uses what cannot be mapped.

`LegacyAttributeError` and `LegacyImportError` are what the stand-in
modules raise for a member or module with no home today; being an
AttributeError and an ImportError, they keep `hasattr` and
`try: import ... except ImportError` working. Their message is one line:
"<api> is not available: <why, and what replaces it>"; the runner prefixes
the program's file and line (`slimtrain.legacy.failures`).
"""

from slimtrain.legacy import names


class LegacyAPIError(Exception):
    """A TF-Slim-era API that has no home in TensorFlow 2.21.

    Attributes:
      api: the API as programs spelled it (`tf.contrib.learn`).
      advice: why it is gone and what replaces it.
    """

    def __init__(self, canonical, advice):
        self.api = names.spelling(canonical)
        self.advice = advice
        super().__init__("%s is not available: %s" % (self.api, advice))


class LegacyAttributeError(LegacyAPIError, AttributeError):
    """A member of a stand-in module that has no home."""


class LegacyImportError(LegacyAPIError, ImportError):
    """A `tensorflow.contrib` module that has no home."""


def missing_member(canonical):
    """The LegacyAttributeError for `canonical`, with the table's advice."""
    return LegacyAttributeError(
        canonical, names.advice_for(canonical) or names.GENERIC_ADVICE)
