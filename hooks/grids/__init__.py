"""The grid kinds (DeploymentGrid, StatefulSetGrid, ServiceGrid) and the engine they share: spec, children,
overrides, grace period, status. May import ``hooks.kube``, ``hooks.protocol`` and ``hooks.sites``.
"""
