"""Shared test builders (requests, nodes, grids) and the Kubernetes schema checker; tests of the checker."""
