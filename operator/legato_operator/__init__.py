"""Legato's server and Kubernetes operator.

Layers, each importing only the ones below it (checked by import-linter):

    main    the ``legato-operator`` command line (run, dev, migrate) and the process wiring
    k8s     kopf handlers for the Workflow and TaskQueue resources, manifest builders, the
            one module that talks to the Kubernetes API
    api     the HTTP/JSON API that clients and workers call (aiohttp): one adapter over
            the operations ``legato.api.operations`` declares
    engine  the history state machine: pure ``rules``, and the ``services`` that run them
            in transactions
    store   the only code that speaks SQL (asyncpg), with the migrations

Beside the layers, importable from any of them: ``errors`` (the one error tree),
``clock`` (the one source of time), ``limits`` (payload limits every edge applies) and
``metrics`` (the Prometheus instruments).
``postgres`` launches an embedded Postgres for dev mode and tests.
"""
