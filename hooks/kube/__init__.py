"""Kubernetes objects as plain data: names, labels, selectors, conditions, images, YAML documents, errors.

The bottom layer: imports nothing from ``hooks`` but the root constants.
"""
