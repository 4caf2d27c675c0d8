"""The seed gate: load declared seed data idempotently, all or nothing.

Without ``--database-url`` it proves the seeds valid on a throwaway SQLite database built
from the project's schema; with one, it upserts into that database in one transaction,
then re-reads every seeded row to prove the database holds exactly what the files say.
The entry module is `qualgate.gates.seed.gate`.
"""
