"""The lint-format gate: ruff lint, ruff formatting and mypy types, one check each.

The entry module is `gate`; the rule catalogue is `rules`.
"""
