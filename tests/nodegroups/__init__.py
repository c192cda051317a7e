"""Tests of hooks.nodegroups: the NodeGroup hooks and their status."""
