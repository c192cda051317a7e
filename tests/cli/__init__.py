"""Tests of hooks.cli: the servicegroup command and the offline render."""
