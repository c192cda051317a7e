# The hook server: gunicorn + Flask, stateless, non-root, read-only root filesystem friendly.
# Python 3.11: the version CI tests (.ci/run, pyproject's target). Every dependency is pinned by
# requirements/image.txt, so two builds of one commit install the same packages.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements/image.txt ./
COPY hooks ./hooks
RUN pip install --no-cache-dir --prefix=/install -c image.txt .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOOKS_WORKER_TMP_DIR=/dev/shm
COPY --from=build /install /usr/local
RUN groupadd --gid 10001 hooks && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin hooks
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["gunicorn", "--config", "python:hooks.server.gunicorn_conf", "hooks.app:app"]
