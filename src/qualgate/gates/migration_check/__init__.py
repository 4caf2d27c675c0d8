"""migration-check: Alembic revision chains linted statically and proven on a scratch database.

The entry module is `gate` (options and ``run``); `rules` holds the rule catalogue, `api`
what other gates call, and ``inproject/`` the worker run in the project's interpreter.
"""
