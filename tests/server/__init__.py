"""Tests of hooks.server: the HTTP contract, reduced decoding, fuzzing, gunicorn, metrics and logs."""
