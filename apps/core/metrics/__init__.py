"""Prometheus metrics: what the web and worker processes count, and how it is served.

prometheus-client's multiprocess mode is on wherever PROMETHEUS_MULTIPROC_DIR is set
(the entrypoint sets it in every container): each process (gunicorn worker, Celery
prefork child) writes its values to files there, and one server per container, in
gunicorn's master or Celery's main process, sums them on each scrape
(`exposition.py`). Without it, in a plain `manage.py` or test process, the values
live in the process's default registry.
"""
