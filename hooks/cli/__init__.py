"""The ``servicegroup`` command: offline render of grids on given nodes, and ``serve``.

The top layer (with ``hooks.server``): may import every layer below; the two never import each other.
"""
