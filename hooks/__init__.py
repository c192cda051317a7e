"""ServiceGroup on Metacontroller: stateless hooks for DeploymentGrid, StatefulSetGrid and friends.

The modules under this package are a functional core (request dict in, response
dict out) plus a thin Flask shell in :mod:`hooks.server.app`.
"""

GROUP = "superedge.io"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"
