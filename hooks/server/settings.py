"""The hook server's settings from the environment, checked before gunicorn starts.

gunicorn takes most values as they come: ``HOOKS_WORKERS=0`` starts a master that serves nothing, a wrong
``HOOKS_TLS_CERT`` ends in a Python traceback from the first worker, and both leave a metrics folder behind.
Checking everything here, first, gives one line naming the variable and exit status 2 (a usage error) for
``servicegroup serve`` and for the container's plain ``gunicorn`` entry point alike, before anything is made.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

from hooks.kube.names import label_key_error
from hooks.sites.site_spec import ANY_KEY, AllowedKeys

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
EXIT_USAGE = 2
DEFAULT_MAX_REQUEST_BYTES = 128 * 1024 * 1024
"""Room for a 10,000-node fleet (about 80 MB at 6.6 KB per Node and 5.6 KB per child, docs/performance.md) with
headroom; the shipped memory limit is sized from it (docs/performance.md, Memory)."""
DEFAULT_READ_TIMEOUT = 10
"""Metacontroller's hook timeout: a request still arriving after it belongs to a call already abandoned."""


class SettingsError(ValueError):
    """One setting is unusable; the message is one line naming the variable (or option) and the value."""


@dataclass(frozen=True)
class Settings:
    bind: str
    workers: int
    timeout: int
    graceful_timeout: int
    log_level: str
    certfile: str | None
    keyfile: str | None
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    threads: int = 64
    """Threads per worker: requests whose headers or body are still arriving each hold one."""
    read_timeout: int = DEFAULT_READ_TIMEOUT
    """Seconds from a request's first byte to its last: the headers and the whole body."""
    worker_tmp_dir: str | None = None
    """Where workers keep heartbeat files (and the metrics folder goes): HOOKS_WORKER_TMP_DIR, else /dev/shm
    when writable, else gunicorn's default (the temp dir)."""
    allowed_uniq_keys: AllowedKeys = field(default=ANY_KEY)
    """HOOKS_ALLOWED_UNIQ_KEYS: the label keys grids and NodeGroups may use as gridUniqKey (default: any)."""


def from_environ(env: Mapping[str, str]) -> Settings:
    """Read and check every ``HOOKS_*`` server setting; SettingsError for the first bad one."""
    cert, key = env.get("HOOKS_TLS_CERT") or None, env.get("HOOKS_TLS_KEY") or None
    check_tls(cert, key)
    return Settings(
        bind=_bind(env.get("HOOKS_BIND", "0.0.0.0:8080")),
        workers=_whole(env, "HOOKS_WORKERS", "2", minimum=1),
        timeout=_whole(env, "HOOKS_TIMEOUT", "30", minimum=1),
        graceful_timeout=_whole(env, "HOOKS_GRACEFUL_TIMEOUT", "20", minimum=0),
        log_level=_log_level(env.get("HOOKS_LOG_LEVEL", "info")),
        certfile=cert,
        keyfile=key,
        max_request_bytes=max_request_bytes(env),
        threads=_whole(env, "HOOKS_THREADS", "64", minimum=2),
        read_timeout=read_timeout(env),
        worker_tmp_dir=_worker_tmp_dir(env.get("HOOKS_WORKER_TMP_DIR")),
        allowed_uniq_keys=allowed_uniq_keys(env),
    )


def allowed_uniq_keys(env: Mapping[str, str]) -> AllowedKeys:
    """HOOKS_ALLOWED_UNIQ_KEYS: comma-separated label keys; unset or empty allows any key."""
    raw = env.get("HOOKS_ALLOWED_UNIQ_KEYS", "")
    if not raw.strip():
        return ANY_KEY
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise SettingsError(f"HOOKS_ALLOWED_UNIQ_KEYS={raw!r}: must list label keys separated by commas")
    for key in keys:
        problem = label_key_error(key)
        if problem:
            raise SettingsError(f"HOOKS_ALLOWED_UNIQ_KEYS={raw!r}: {key!r} is not a label key ({problem})")
    return AllowedKeys.only(keys)


def max_request_bytes(env: Mapping[str, str]) -> int:
    """HOOKS_MAX_REQUEST_BYTES (a positive number of bytes), or the default: larger bodies get 413."""
    raw = env.get("HOOKS_MAX_REQUEST_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_REQUEST_BYTES
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(f"HOOKS_MAX_REQUEST_BYTES={raw!r}: must be a positive number of bytes")
    return int(raw)


def read_timeout(env: Mapping[str, str]) -> int:
    """HOOKS_READ_TIMEOUT: seconds a request may take to arrive (headers and body), else 408 and the connection
    is closed."""
    return _whole(env, "HOOKS_READ_TIMEOUT", str(DEFAULT_READ_TIMEOUT), minimum=1)


def _worker_tmp_dir(raw: str | None) -> str | None:
    if raw is None:
        return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    if not os.path.isdir(raw) or not os.access(raw, os.W_OK):
        raise SettingsError(f"HOOKS_WORKER_TMP_DIR={raw!r}: must be an existing writable directory")
    return raw


def _whole(env: Mapping[str, str], name: str, default: str, minimum: int) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a whole number of at least {minimum}") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r}: must be a whole number of at least {minimum}")
    return value


def _log_level(raw: str) -> str:
    level = raw.lower()
    if level not in LOG_LEVELS:
        raise SettingsError(f"HOOKS_LOG_LEVEL={raw!r}: must be one of {', '.join(LOG_LEVELS)}")
    return level


def _bind(raw: str) -> str:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``unix:PATH``, as gunicorn takes it; a bad port is refused here."""
    if raw.startswith("unix:"):
        return raw
    _host, sep, port = raw.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"HOOKS_BIND={raw!r}: must be HOST:PORT (port 1-65535) or unix:PATH")
    return raw


def check_tls(cert: str | None, key: str | None) -> None:
    """Both or neither; each readable; and the pair loads, so a wrong file is named now, not in a worker."""
    if not cert and not key:
        return
    if not cert or not key:
        missing = "HOOKS_TLS_CERT" if not cert else "HOOKS_TLS_KEY"
        raise SettingsError(f"{missing} is not set: HTTPS needs both HOOKS_TLS_CERT and HOOKS_TLS_KEY")
    for name, path in (("HOOKS_TLS_CERT", cert), ("HOOKS_TLS_KEY", key)):
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise SettingsError(f"{name}={path!r}: no readable file there")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as err:
        reason = getattr(err, "reason", None) or err.strerror or str(err)
        raise SettingsError(
            f"HOOKS_TLS_CERT/HOOKS_TLS_KEY ({cert}, {key}): not a PEM certificate and its private key ({reason})"
        ) from None
