"""The offline renderer uses the server's own sync functions: same request, same answer."""

from __future__ import annotations

import pytest

from hooks.cli.render import RENDER_TIME, node_map, render_grid
from hooks.grids.grid_kinds import GRID_KINDS, sync_route
from hooks.kube.documents import Sourced
from hooks.server.app import create_app, hook_table
from tests.support.builders import site_nodes, sync_request
from tests.support.kind_builders import grid_of


@pytest.mark.parametrize("kind", sorted(GRID_KINDS))
def test_every_grid_kind_answers_like_its_server_route(kind):
    route = sync_route(kind)
    assert route in hook_table(), f"{kind} has no server route {route}"
    registered = GRID_KINDS[kind]
    request = sync_request(grid_of(kind), site_nodes(a=1, b=2), child_type=registered.child_types[0])
    client = create_app(clock=lambda: RENDER_TIME).test_client()
    served = client.post(route, json=request).get_json()
    assert registered.sync(request, RENDER_TIME) == served


@pytest.mark.parametrize("kind", sorted(GRID_KINDS))
def test_render_matches_the_server_for_a_grid_without_uid_or_status(kind):
    """Metacontroller would send the same grid with a uid and status; the children must not differ."""
    live = grid_of(kind)
    from_file = {k: v for k, v in live.items() if k != "status"}
    from_file["metadata"] = {"name": "web", "namespace": "shop"}
    nodes = site_nodes(a=1, b=1)
    rendered = render_grid(Sourced(from_file, "g.yaml"), nodes, "default").children
    served = GRID_KINDS[kind].sync(sync_request(live, nodes, child_type=GRID_KINDS[kind].child_types[0]), RENDER_TIME)
    assert rendered == served["children"]


def test_node_map_keys_nodes_by_name():
    nodes = [Sourced(n, "nodes.yaml") for n in site_nodes(a=2).values()]
    assert sorted(node_map(nodes)) == ["a-node-0", "a-node-1"]
