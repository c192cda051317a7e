"""Tests that keep the benchmarks (bench/) from rotting; nothing is timed."""
