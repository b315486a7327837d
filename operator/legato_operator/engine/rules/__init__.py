"""The engine's rules: pure functions from (run state, input) to a ``batch.Batch``.

``batch`` (what one change does), ``start`` (idempotent start), ``workflow_tasks`` (a
workflow task's life), ``commands`` (applying a completion's commands), ``activities``
(an activity's attempts and timeouts), ``signals`` (signals and cancel requests),
``user_timers`` (a timer firing), ``termination`` (terminate, execution timeout),
``chains`` (continue-as-new, workflow retries, a first task's backoff), ``retry``
(backoff arithmetic), ``tokens`` (task tokens), ``keys`` (wake-up key names).

Belongs here: deciding. Does not belong here: I/O of any kind — no store queries, no
asyncio, no clock (``now`` is an argument), no services.
"""
