"""The rule pack: one module per check, each exposing ``RULE`` (listed in ``registry``); data under ``data/``.

Importing a module of the pack (``rules.catalog``, which the facts read) loads only that module: the
registry, which imports every rule, is ``rules.registry``.
"""
