"""The hook server's app plus a route that holds the computation lock for a while, for the worker tests.

``POST /spin?seconds=S`` computes (sleeps) for S seconds as a hook would, then answers the worker's pid;
gunicorn loads it as ``tests.server.spin_app:app``.
"""

from __future__ import annotations

import os
import time

from flask import request

from hooks.server.app import create_app
from hooks.server.capacity import COMPUTATION

app = create_app()


@app.post("/spin")
def spin() -> dict:
    request.get_data()
    with COMPUTATION.running():
        time.sleep(float(request.args.get("seconds", "0")))
    return {"pid": os.getpid()}
