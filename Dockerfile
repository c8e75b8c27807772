# The application image: one image for web (gunicorn), worker and beat (Celery) and
# one-off manage.py commands. Build it with `docker compose build` (BuildKit: the
# pip cache mounts below need it).
#
# Targets:
#   runtime (default, production): the virtualenv and the application code only.
#   test: runtime plus requirements/development.txt and the unit tests.
#
# Nothing deploy-specific is baked in: every setting arrives as an environment
# variable when the container starts (see docker-compose.yml and .env.example).

ARG PYTHON_IMAGE=python:3.13-slim

# --- builder: the production virtualenv, from hash-pinned wheels -------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The venv gets no pip of its own: the base image's pip installs into it through
# --python, so the runtime image ships no package installer in its venv.
COPY requirements/production.txt /tmp/requirements/production.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --no-compile --require-hashes \
        -r /tmp/requirements/production.txt
COPY docker/trim-venv.sh /usr/local/bin/trim-venv.sh
RUN trim-venv.sh /opt/venv

# --- source: the application code without its tests -------------------------------
FROM ${PYTHON_IMAGE} AS source
WORKDIR /src
COPY manage.py entrypoint.sh ./
COPY config/ config/
COPY apps/ apps/
COPY docker/gunicorn.conf.py docker/healthcheck.py docker/
RUN find apps config -depth -type d -name tests -exec rm -rf {} + \
    && find . -name 'conftest.py' -delete

# --- runtime: what production runs ------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000
# A fixed UID/GID so volume and file permissions are predictable across hosts.
# No package installer at run time: the venv has none, and the base image's pip
# goes too (before the venv is copied in, so python3 is the base image's).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app \
    && pip_dir="$(python3 -c 'import os, pip; print(os.path.dirname(pip.__file__))')" \
    && rm -rf "${pip_dir}" "${pip_dir}"-*.dist-info \
    && rm -f /usr/local/bin/pip* /usr/bin/pip*
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Code stays owned by root (the app user cannot modify it); only the directory
# collectstatic writes to belongs to the app user. It is also world-writable with
# the sticky bit, as /tmp is: a Swarm tmpfs mount over it takes this directory's
# mode and root as owner, whatever mode the stack file asks for (seen on Docker
# 20.10), and compose's tmpfs sets the owner itself.
COPY --from=source /src /app
RUN install -d -o app -g app -m 1777 /app/staticfiles
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["gunicorn", "--config", "docker/gunicorn.conf.py", "config.wsgi:application"]

# --- test-venv: the production virtualenv plus the development tools -------------
FROM builder AS test-venv
COPY requirements/development.txt /tmp/requirements/development.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    pip --python /opt/venv/bin/python install --require-hashes \
        -r /tmp/requirements/development.txt

# --- test: runtime plus development tools and the unit tests ----------------------
FROM runtime AS test
USER 0:0
ENV DJANGO_SETTINGS_MODULE=config.settings.test
COPY --from=test-venv /opt/venv /opt/venv
COPY . /app
# pytest writes its cache and coverage data next to the code.
RUN chown app:app /app
USER 10001:10001
CMD ["pytest"]

# --- sbom: the CycloneDX SBOM of the runtime image's virtualenv -------------------
# `docker build --target sbom --output type=local,dest=reports/sbom .` writes
# sbom.cdx.json (deploy/build.sh does, for the pipeline's artifacts). The tool has
# a virtualenv of its own and reads the runtime image's /opt/venv, so the SBOM
# lists exactly what production runs, and nothing of the tool's.
FROM ${PYTHON_IMAGE} AS sbom-tool
COPY requirements/sbom.txt /tmp/requirements/sbom.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/sbom \
    && /opt/sbom/bin/pip install --require-hashes -r /tmp/requirements/sbom.txt
COPY --from=runtime /opt/venv /opt/venv
RUN /opt/sbom/bin/cyclonedx-py environment --output-reproducible --of JSON \
        -o /sbom.cdx.json /opt/venv/bin/python

FROM scratch AS sbom
COPY --from=sbom-tool /sbom.cdx.json /sbom.cdx.json

# --- development: runtime plus the development tools, for `make dev` -------------
# docker-compose.dev.yml bind-mounts the code over /app read-only; gunicorn
# --reload, docker/dev-restart.py (the worker) and watchfiles (beat) restart the
# processes on a change.
FROM runtime AS development
USER 0:0
COPY --from=test-venv /opt/venv /opt/venv
COPY docker/dev-restart.py docker/
USER 10001:10001
