"""gunicorn settings for the hook server; bind address and workers come from the environment.

HOOKS_BIND (default 0.0.0.0:8080), HOOKS_WORKERS (default 2), HOOKS_TIMEOUT
(seconds a request may take before its worker is restarted, default 30: above
Metacontroller's 10 s hook timeout so a slow answer is not cut short twice),
HOOKS_GRACEFUL_TIMEOUT (seconds in-flight requests get on SIGTERM, default 20),
HOOKS_TLS_CERT / HOOKS_TLS_KEY (serve HTTPS when both are set).

On SIGTERM gunicorn stops accepting connections and lets in-flight hook calls finish within
graceful_timeout; the pod's terminationGracePeriodSeconds must exceed it. Metacontroller retries any call
that fails meanwhile, and the hooks are stateless, so a restart loses nothing.
"""

import os

bind = os.environ.get("HOOKS_BIND", "0.0.0.0:8080")
workers = int(os.environ.get("HOOKS_WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("HOOKS_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("HOOKS_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HOOKS_LOG_LEVEL", "info").lower()
worker_tmp_dir = os.environ.get("HOOKS_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)

# Optional TLS: mount a certificate and key and point these at them; the controllers' webhook URLs then
# use https:// and, for a private CA, the webhook `caBundle` field of Metacontroller.
certfile = os.environ.get("HOOKS_TLS_CERT") or None
keyfile = os.environ.get("HOOKS_TLS_KEY") or None
