"""The benchmark's additions to the Django project, loaded only by its own stack.

`bench/docker-compose.bench.yml` mounts this package into the web containers and
selects `bench.site.settings`; the host ceiling (`bench/host.py`) serves it with
plain gunicorn. Nothing in `apps/` or `config/` exists for the benchmark.
"""
