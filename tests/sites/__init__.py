"""Tests of hooks.sites: unit discovery, NodeUnits, the node zone decorator."""
