"""Where a grid's sites come from: units discovered from Nodes or NodeUnits, the site spec, NodeUnit objects,
and the node zone decorator. May import ``hooks.kube`` and ``hooks.protocol``.
"""
