"""Scopes named by flags, matched against the variables of the graph.

--checkpoint_exclude_scopes, --trainable_scopes and --gradient_multipliers
name variables by scope, as name prefixes (research/slim's
`var.op.name.startswith(scope)`). A scope that matches no variable is
almost always a typo, and a silent one: an exclusion that excludes nothing
restores the checkpoint's head into a model whose head was meant to start
afresh. `unmatched_scope` is the one-line error for it, naming the entry
and the scopes closest to it.
"""

import difflib

from slimtrain.errors import ConfigError

# How many close scope names an error offers.
_SHOWN = 3


def scope_names(variables):
    """Every scope of `variables`: each prefix of their names that ends at a
    '/', and the names themselves ('a/b/w' -> 'a', 'a/b', 'a/b/w')."""
    names = set()
    for variable in variables:
        parts = variable.op.name.split("/")
        names.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return names


def closest_scopes(entry, variables):
    """The scope names of `variables` nearest to `entry`; without a near
    one, the top-level scopes."""
    close = difflib.get_close_matches(entry, sorted(scope_names(variables)),
                                      n=_SHOWN, cutoff=0.6)
    return close or top_scopes(variables)


def top_scopes(variables, count=5):
    """The first `count` top-level scopes of `variables`, sorted."""
    return sorted({variable.op.name.split("/")[0]
                   for variable in variables})[:count]


def unmatched_scope(flag, entry, variables, what="variable"):
    """The ConfigError for `flag`'s `entry` matching no `what` of
    `variables`, naming the closest scopes."""
    close = closest_scopes(entry, variables)
    hint = ("the closest scopes are %s" % ", ".join(close) if close else
            "the graph has none")
    return ConfigError("%s names %r, which matches no %s: %s; fix or remove "
                       "the entry." % (flag, entry, what, hint))
