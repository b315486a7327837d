"""Layer 2, the engine: Legato's history state machine, and the services that run it.

Two packages, one rule between them:

* ``rules`` — what a change to a run *means*, with no I/O: pure functions from the run's
  state and an input to a ``rules.batch.Batch`` (the events to append or buffer, the
  tasks and timers to create or remove, the run's new state, the keys to wake). Tested
  in milliseconds without a database. Rules import nothing of the engine's services and
  of the store only its row types (an import-linter contract says so).
* ``services`` — running the rules: each call loads what a rule needs through the
  store, calls it and writes its batch, one transaction per change (``runner``); long
  polls and wake-ups, the timer loop, task-queue load and gauges.

Does not belong here: SQL (the store) or HTTP and Kubernetes (the api and k8s layers).
"""
