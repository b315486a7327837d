"""Legato's server and Kubernetes operator.

Layers, each importing only the ones below it (checked by import-linter):

    main    the ``legato-operator`` command line: run, dev, migrate
    k8s     kopf handlers for the Workflow and TaskQueue resources (later)
    api     the HTTP/JSON API that clients and workers call (aiohttp)
    engine  the history state machine and the services that run it in transactions
    store   the only code that speaks SQL (asyncpg), with the migrations

Beside the layers, importable from any of them: ``errors`` (the one error tree),
``clock`` (the one source of time) and ``metrics`` (the Prometheus instruments).
``postgres`` launches an embedded Postgres for dev mode and tests.
"""
