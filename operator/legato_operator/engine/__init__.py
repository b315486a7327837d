"""The engine: Legato's history state machine, and the services that run it in transactions.

Belongs here: what a change to a run *means* — which events it appends or buffers, which
tasks and timers it creates or removes, how the run's state moves. Those are pure
functions from (state, input) to a ``batch.Batch`` (``start``, ``workflow_tasks``,
``commands``, ``activities``, ``external``, ``retry``), tested without a database. The
service modules (``service``, ``polling``, ``timers``) load state through the store,
call the pure functions and write their batches, one transaction per change.

Does not belong here: SQL (the store) or HTTP and Kubernetes (the api and k8s layers).
"""
