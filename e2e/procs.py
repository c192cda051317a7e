"""Start and stop the layer's processes, each in its own process group, each logging to its own file.

Every process is started in a new session (so one signal reaches it and all its children, e.g. gunicorn's
workers) and asks the kernel to kill it when the launcher dies (PR_SET_PDEATHSIG), so nothing outlives
a launcher that was killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it when the launcher's thread exits."""
    with contextlib.suppress(OSError):  # not Linux/glibc: the process-group cleanup still applies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def poll(what: str, check: Callable[[], object], timeout: float, interval: float = 0.2) -> object:
    """Call ``check`` until it returns a truthy value, then return that value.

    Raises TimeoutError naming ``what`` and the last exception ``check`` raised, so a failed wait says
    what it waited for and why it never came.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
            if result:
                return result
            last_error = None
        except Exception as error:
            last_error = error
        if time.monotonic() >= deadline:
            detail = f": last error: {last_error!r}" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


class Proc:
    """One started process: its name, command line, log file and process group."""

    def __init__(
        self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.name, self.argv, self.log = name, argv, log
        self.env, self.cwd = env, cwd
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        """Start the process, appending its stdout and stderr to its log file (restarts keep one log)."""
        with self.log.open("ab") as out:
            out.write(f"\n=== start {time.strftime('%H:%M:%S')}: {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> bool:
        """True while running; raises with the log's tail once it has exited (a wait can then stop early)."""
        if self.alive():
            return True
        code = self.popen.returncode if self.popen else None
        raise RuntimeError(f"{self.name} exited with code {code}; log {self.log}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
        if self.popen is None:
            return
        pgid = self.popen.pid  # the process leads its own session, so its pid is its group id
        if self.popen.poll() is None:
            self._signal_group(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self._signal_group(pgid, signal.SIGKILL)  # stragglers of the group (workers), if any
        self.popen.wait()
        self.popen = None

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
