"""gunicorn settings for the hook server; bind address and workers come from the environment.

HOOKS_BIND (default 0.0.0.0:8080), HOOKS_WORKERS (default 2), HOOKS_THREADS (threads per worker, default 64),
HOOKS_READ_TIMEOUT (seconds a request may take to arrive, default 10: Metacontroller's hook timeout),
HOOKS_TIMEOUT (seconds a hook computation may take before its worker is restarted, default 30: above
Metacontroller's 10 s hook timeout so a slow answer is not cut short twice), HOOKS_GRACEFUL_TIMEOUT (seconds
in-flight requests get on SIGTERM, default 20), HOOKS_MAX_REQUEST_BYTES (larger bodies get 413; also the
bytes of request bodies a worker holds at once), HOOKS_TLS_CERT / HOOKS_TLS_KEY (serve HTTPS when both are
set). Workers are gunicorn's threaded workers with a deadline for requests to arrive (hooks/server/worker.py).

On SIGTERM gunicorn stops accepting connections and lets in-flight hook calls finish within
graceful_timeout; the pod's terminationGracePeriodSeconds must exceed it. Metacontroller retries any call
that fails meanwhile, and the hooks are stateless, so a restart loses nothing.

Metrics: every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR,
which /metrics merges (prometheus_client multiprocess mode). Set it to a
writable directory that only this server uses (in the cluster: an emptyDir);
unset, a fresh private directory is made under HOOKS_WORKER_TMP_DIR, else /dev/shm
(or the temp dir), and removed on exit. Either way it is emptied when the server starts, because
files from an earlier run would be counted again, and a dead worker's files are folded into one archive file
per metric type (hooks/server/metric_files.py).
"""

import os
import shutil
import sys
import tempfile

from hooks.server.settings import EXIT_USAGE, SettingsError, from_environ

try:
    _settings = from_environ(os.environ)
except SettingsError as _err:  # one line and exit 2 before anything is bound or made, never a traceback
    print(f"error: {_err}", file=sys.stderr)
    sys.exit(EXIT_USAGE)

bind = _settings.bind
workers = _settings.workers
worker_class = "hooks.server.worker.HookWorker"
threads = _settings.threads
timeout = _settings.timeout
graceful_timeout = _settings.graceful_timeout
accesslog = None
errorlog = "-"
loglevel = _settings.log_level
# gunicorn 24+ opens a control socket under $HOME; the server needs none, and a read-only container has no
# writable home (older gunicorn ignores this unknown setting).
control_socket_disable = True
worker_tmp_dir = _settings.worker_tmp_dir

# Optional TLS: mount a certificate and key and point these at them; the controllers' webhook URLs then
# use https:// and, for a private CA, the webhook `caBundle` field of Metacontroller.
certfile = _settings.certfile
keyfile = _settings.keyfile


_METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_OWNED_ENV = "HOOKS_METRICS_DIR_OWNED"  # set when the directory is ours to remove on exit


def _metrics_dir() -> str:
    """The multiprocess directory; made here, in the master, so every worker inherits it in its environment."""
    if not os.environ.get(_METRICS_ENV):
        # Beside the workers' heartbeat files (HOOKS_WORKER_TMP_DIR, else /dev/shm when writable).
        base = _settings.worker_tmp_dir
        os.environ[_METRICS_ENV] = tempfile.mkdtemp(prefix="servicegroup-metrics-", dir=base)
        os.environ[_OWNED_ENV] = "1"
    return os.environ[_METRICS_ENV]


def when_ready(server):
    """Choose the metrics directory and start from zero (a restarted container keeps its emptyDir); warn when
    the container's memory limit is below what the settings may need.

    Done in this hook, not at import, so a config that fails its checks leaves nothing behind; and once the listening
    socket is bound, so a server that cannot start (port taken) leaves no directory behind. Workers are
    forked after it and load the app themselves, so prometheus_client sees the directory from the start.
    """
    metrics = _metrics_dir()
    os.makedirs(metrics, exist_ok=True)
    # Imported here, once the directory is in the environment: prometheus_client chooses its multiprocess mode
    # when first imported, and workers forked from this process inherit that choice.
    from hooks.server import memory, metric_files

    metric_files.clear(metrics)
    warning = memory.shortfall(_settings.workers, _settings.max_request_bytes, memory.container_limit())
    if warning:
        server.log.warning(warning)


def child_exit(server, worker):
    """A worker died (the master runs this after reaping it): fold its metrics files into the archives, and
    those of any earlier worker whose fold could not be done then."""
    from prometheus_client import multiprocess

    from hooks.server import metric_files

    multiprocess.mark_process_dead(worker.pid)
    metric_files.fold_dead_workers(os.environ[_METRICS_ENV], live=set(server.WORKERS))


def on_exit(server):
    if os.environ.get(_OWNED_ENV):
        shutil.rmtree(os.environ[_METRICS_ENV], ignore_errors=True)
