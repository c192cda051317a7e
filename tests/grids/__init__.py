"""Tests of hooks.grids: the grid kinds and their shared engine, as pure functions and properties."""
