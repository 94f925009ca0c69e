"""The Label Studio round trip: sentences go out as tasks with model pre-annotations, labels come back.

Modules: ``connection`` (settings, SDK client, token-free errors), ``tasks`` (task data, predictions,
selection), ``sync`` (project, idempotent import, snapshot export), ``convert`` (export -> records),
``merge`` (append-only merge into annotations/), ``workflow`` (push/pull on plain data), ``server``
(a local server from its own venv).
"""
