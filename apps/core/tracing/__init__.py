"""OpenTelemetry tracing: on when an OTLP endpoint is set, absent otherwise.

`config.py` decides from the standard OTEL_* variables. Off (the default), nothing of
OpenTelemetry is imported or patched and no thread runs; log lines carry `-` as
their trace and span ids.

On, it starts in two steps, because gunicorn (with GUNICORN_PRELOAD) and Celery's
prefork pool fork their workers from a process that has already loaded Django, and
the SDK's batch span processor keeps a thread and a lock that must not cross a
fork (OpenTelemetry Python, "Working With Fork Process Models"):

1. `sdk.instrument()`, from CoreConfig.ready(), in the process that loads Django:
   it patches Django (a middleware, in place before the WSGI handler loads its
   middleware), psycopg, Redis, Celery and botocore. Patches are code: the forked
   workers inherit them.
2. `sdk.start()`, in each process that serves, after the fork: gunicorn's
   `post_fork` hook, Celery's `worker_process_init` (each prefork child) and
   `beat_init`. It sets the tracer provider: the sampler, and an OTLP/HTTP
   exporter behind a batch span processor, whose thread starts there.
   `sdk.shutdown()` flushes it when the process ends.

Before `start()` every span is a no-op: gunicorn's master, Celery's main process and
`manage.py` commands export nothing.

`context.py` is what the rest of the code sees: the current ids for the logs, and
`untraced()` for the health probes.
"""
