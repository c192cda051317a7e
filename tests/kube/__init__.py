"""Tests of hooks.kube: names, selectors."""
