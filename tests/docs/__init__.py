"""Tests that the README, docs and examples say what the code does."""
