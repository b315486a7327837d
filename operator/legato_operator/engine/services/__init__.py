"""The engine's services: each one loads a run's state, applies a rule and writes its batch.

``runner`` (the process's shared state and ``Runtime.run``: one change, one transaction,
retried on conflict), ``writer`` (a batch through the store in one statement),
``workflows`` (what clients call), ``workers`` (what workers call: long polls,
completions, heartbeats), ``resources`` (runs started from `Workflow` resources),
``timer_loop`` (fires due timers), ``task_queues`` (a queue's load across replicas),
``gauges`` (metrics read from the database), ``wakeup`` (in-process waiters on keys).

Belongs here: transactions, waiting and wake-ups. Does not belong here: what a change
means (the rules), SQL (the store).
"""
