"""The WSGI entry point, kept at its public name: ``gunicorn hooks.app:app``."""

from hooks.server.app import app, create_app

__all__ = ["app", "create_app"]
