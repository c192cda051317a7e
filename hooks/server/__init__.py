"""The HTTP shell: Flask routes, reduced request decoding, metrics, logs, gunicorn settings.

The top layer (with ``hooks.cli``): may import every layer below; nothing imports it but ``hooks.app``.
"""
