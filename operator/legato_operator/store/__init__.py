"""The store: the only code that speaks SQL (asyncpg), and the schema's migrations.

Belongs here: the connection pool and transactions (``db``), the forward-only
migrations (``migrations/*.sql``, applied by ``db.migrate``), one module per table
with the queries on it, the LISTEN connection (``listener``) and the row types
(``rows``). Every value is a ``$n`` parameter.

Does not belong here: deciding what a change means. The engine computes which events,
tasks and timers a change makes; the store writes them, in the transaction the engine's
service opens.
"""
