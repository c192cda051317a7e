"""``servicegroup render``: every input form, every error as one line without a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from hooks.cli import main as cli
from tests.support.builders import deployment_spec, node

ROOT = Path(__file__).resolve().parents[2]


def grid_doc(name: str = "web", namespace: str | None = "shop", kind: str = "DeploymentGrid", **spec) -> dict:
    """A grid as a user writes it in a file: no uid, no generation, no status."""
    spec.setdefault("gridUniqKey", "site")
    spec.setdefault("template", deployment_spec(app=name))
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "superedge.io/v1", "kind": kind, "metadata": meta, "spec": spec}


NODES = [node("n-a", {"site": "a"}), node("n-b1", {"site": "b"}), node("n-b2", {"site": "b"}), node("cloud", {})]


def node_list(kind: str = "List") -> dict:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": ""}, "items": NODES}


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif name.endswith(".json"):
        path.write_text(json.dumps(content))
    else:
        path.write_text(yaml.safe_dump_all(content if isinstance(content, list) else [content]))
    return str(path)


def run(argv: list[str], stdin: str = "", monkeypatch=None, capsys=None) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def names(out: str) -> list[str]:
    return [doc["metadata"]["name"] for doc in yaml.safe_load_all(out) if doc]


def test_renders_one_child_per_unit_with_namespace(render, tmp_path, nodes_file):
    code, out, err = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file])
    assert (code, err) == (0, "")
    children = list(yaml.safe_load_all(out))
    assert [c["metadata"]["name"] for c in children] == ["web-a", "web-b"]
    assert {c["metadata"]["namespace"] for c in children} == {"shop"}
    assert children[1]["spec"]["template"]["spec"]["nodeSelector"] == {"site": "b"}


def test_yaml_output_spells_out_shared_subtrees(render, tmp_path, nodes_file):
    _, out, _ = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file])
    assert "&id" not in out and "*id" not in out


def test_namespace_defaults_to_default_and_follows_n(render, tmp_path, nodes_file):
    path = write(tmp_path, "g.yaml", grid_doc(namespace=None))
    _, out, _ = render(["-f", path, "--nodes", nodes_file])
    assert {d["metadata"]["namespace"] for d in yaml.safe_load_all(out)} == {"default"}
    _, out, _ = render(["-f", path, "--nodes", nodes_file, "-n", "edge"])
    assert {d["metadata"]["namespace"] for d in yaml.safe_load_all(out)} == {"edge"}


def test_grid_namespace_wins_over_n(render, tmp_path, nodes_file):
    _, out, _ = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file, "-n", "edge"])
    assert {d["metadata"]["namespace"] for d in yaml.safe_load_all(out)} == {"shop"}


def test_json_output_is_a_kubectl_list(render, tmp_path, nodes_file):
    code, out, _ = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file, "-o", "json"])
    body = json.loads(out)
    assert code == 0 and body["kind"] == "List"
    assert [i["metadata"]["name"] for i in body["items"]] == ["web-a", "web-b"]


@pytest.mark.parametrize(
    "nodes_content",
    [node_list(), node_list("NodeList"), NODES],
    ids=["kind-List", "NodeList", "multi-document"],
)
def test_node_input_forms(render, tmp_path, nodes_content):
    nodes = write(tmp_path, "nodes.yaml", nodes_content)
    code, out, _ = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes])
    assert code == 0 and names(out) == ["web-a", "web-b"]


def test_kubectl_json_node_list(render, tmp_path):
    nodes = write(tmp_path, "nodes.json", node_list())
    code, out, _ = render(["-f", write(tmp_path, "g.json", grid_doc()), "--nodes", nodes])
    assert code == 0 and names(out) == ["web-a", "web-b"]


def test_multi_document_grids_and_several_files(render, tmp_path, nodes_file):
    first = write(
        tmp_path, "two.yaml", "---\n" + yaml.safe_dump(grid_doc("web")) + "---\n---\n" + yaml.safe_dump(grid_doc("api"))
    )
    second = write(tmp_path, "ssg.yaml", grid_doc("db", kind="StatefulSetGrid"))
    code, out, _ = render(["-f", first, "-f", second, "--nodes", nodes_file])
    assert code == 0
    assert names(out) == ["web-a", "web-b", "api-a", "api-b", "db-a", "db-b"]


def test_directory_of_grids(render, tmp_path, nodes_file):
    grids = tmp_path / "grids"
    grids.mkdir()
    write(grids, "1-web.yaml", grid_doc("web"))
    write(grids, "2-api.json", grid_doc("api"))
    (grids / "README.md").write_text("not a manifest")
    code, out, _ = render(["-f", str(grids), "--nodes", nodes_file])
    assert code == 0 and names(out) == ["web-a", "web-b", "api-a", "api-b"]


def test_grids_from_stdin(render, nodes_file):
    code, out, _ = render(["-f", "-", "--nodes", nodes_file], stdin=yaml.safe_dump(grid_doc()))
    assert code == 0 and names(out) == ["web-a", "web-b"]


def test_nodes_from_stdin_as_kubectl_prints_them(render, tmp_path):
    code, out, _ = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", "-"], stdin=json.dumps(node_list()))
    assert code == 0 and names(out) == ["web-a", "web-b"]


def test_grid_without_units_warns_and_prints_nothing(render, tmp_path, nodes_file):
    code, out, err = render(["-f", write(tmp_path, "g.yaml", grid_doc(gridUniqKey="region")), "--nodes", nodes_file])
    assert code == 0 and out == ""
    assert err.startswith("warning: ") and "DeploymentGrid shop/web" in err


def test_nodeunits_grid_whose_key_no_node_carries_warns_like_a_nodes_grid(render, tmp_path, nodes_file):
    """Offline the renderer plays the NodeGroup: no NodeUnit means no given Node has the key (no NodeGroup missing)."""
    lonely = grid_doc("lonely", gridUniqKey="region", siteSource="NodeUnits")
    fine = grid_doc("web", siteSource="NodeUnits")
    code, out, err = render(["-f", write(tmp_path, "g.yaml", [lonely, fine]), "--nodes", nodes_file])
    assert code == 0 and names(out) == ["web-a", "web-b"]
    assert err.count("\n") == 1 and err.startswith("warning: ") and "DeploymentGrid shop/lonely" in err
    assert "no given Node carries the label 'region'" in err and "create a NodeGroup" not in err


def test_a_summaries_grid_renders_what_a_nodes_grid_renders_but_for_the_mark(render, tmp_path, nodes_file):
    """Offline the renderer plays the node summary decorator; the children differ only by the summaries mark."""
    lonely = grid_doc("lonely", gridUniqKey="region", siteSource="NodeSummaries")
    fine = grid_doc("web", siteSource="NodeSummaries")
    code, out, err = render(["-f", write(tmp_path, "g.yaml", [lonely, fine]), "--nodes", nodes_file])
    assert code == 0 and names(out) == ["web-a", "web-b"]
    assert "no given Node carries the label 'region'" in err and "NoNodeSummaries" in err
    by_nodes = render(["-f", write(tmp_path, "n.yaml", [grid_doc("web")]), "--nodes", nodes_file])[1]
    mark = "    superedge.io/unit-summarised: 'true'\n"
    assert out.count(mark) == 2 and out.replace(mark, "") == by_nodes


def bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (render arguments, text the single error line must contain)."""
    nodes = write(tmp_path, "nodes.yaml", node_list())
    good = write(tmp_path, "good.yaml", grid_doc())
    return {
        "missing file": (["-f", str(tmp_path / "nope.yaml"), "--nodes", nodes], "cannot read"),
        "bad yaml": (["-f", write(tmp_path, "bad.yaml", "kind: [DeploymentGrid\n"), "--nodes", nodes], "line"),
        "bad json": (["-f", good, "--nodes", write(tmp_path, "bad.json", '{"kind": "List", "items": [}')], "not valid"),
        "scalar document": (["-f", write(tmp_path, "s.yaml", "just text\n"), "--nodes", nodes], "found a string"),
        "non-grid object": (
            [
                "-f",
                write(tmp_path, "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
                "--nodes",
                nodes,
            ],
            "kind 'ConfigMap' is not a grid kind",
        ),
        "wrong api group": (
            ["-f", write(tmp_path, "g.yaml", {**grid_doc(), "apiVersion": "example.com/v1"}), "--nodes", nodes],
            "apiVersion superedge.io/v1",
        ),
        "invalid grid": (
            ["-f", write(tmp_path, "inv.yaml", grid_doc(gridUniqKey="not a key")), "--nodes", nodes],
            "InvalidSpec: spec.gridUniqKey",
        ),
        "failing unit": (
            ["-f", write(tmp_path, "unit.yaml", grid_doc(templates={"a": "missing"})), "--nodes", nodes],
            "DeploymentGrid shop/web: unit a: template 'missing' is not in spec.templatePool",
        ),
        "grid without name": (
            ["-f", write(tmp_path, "noname.yaml", {**grid_doc(), "metadata": {"namespace": "shop"}}), "--nodes", nodes],
            "metadata.name",
        ),
        "grid in node list": (["-f", good, "--nodes", good], "expected a Node"),
        "duplicate grid": (["-f", good, "-f", good, "--nodes", nodes], "also defined in"),
        "stdin twice": (["-f", "-", "--nodes", "-"], "only once"),
        "empty grid file": (["-f", write(tmp_path, "empty.yaml", "---\n"), "--nodes", nodes], "no objects found"),
        "empty directory": (["-f", str(_empty_dir(tmp_path)), "--nodes", nodes], "holds no"),
        "node metadata not an object": (
            ["-f", good, "--nodes", write(tmp_path, "n.yaml", {"apiVersion": "v1", "kind": "Node", "metadata": [1]})],
            "Node without metadata.name",
        ),
        "deeply nested json": (["-f", write(tmp_path, "deep.json", "[" * 100000), "--nodes", nodes], "nested too"),
    }


def _empty_dir(tmp_path: Path) -> Path:
    path = tmp_path / "nothing"
    path.mkdir(exist_ok=True)
    return path


BAD = [
    "missing file",
    "bad yaml",
    "bad json",
    "scalar document",
    "non-grid object",
    "wrong api group",
    "invalid grid",
    "failing unit",
    "grid without name",
    "grid in node list",
    "duplicate grid",
    "stdin twice",
    "empty grid file",
    "empty directory",
    "node metadata not an object",
    "deeply nested json",
]


@pytest.mark.parametrize("case", BAD)
def test_errors_are_one_line_and_non_zero(render, tmp_path, case):
    argv, expected = bad_inputs(tmp_path)[case]
    code, out, err = render(argv)
    assert code != 0 and out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err


def test_every_broken_grid_is_reported(render, tmp_path, nodes_file):
    broken = [grid_doc("one", gridUniqKey="bad key"), grid_doc("two", gridUniqKey="also bad")]
    code, _, err = render(["-f", write(tmp_path, "b.yaml", broken), "--nodes", nodes_file])
    assert code == 1 and len(err.splitlines()) == 2


def test_usage_errors_exit_2_without_traceback(render):
    with pytest.raises(SystemExit) as exc:
        render(["-f", "x.yaml"])  # --nodes missing
    assert exc.value.code == 2


def test_internal_error_is_one_line(render, tmp_path, nodes_file, monkeypatch):
    def boom(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(cli, "render_all", boom)
    code, _, err = render(["-f", write(tmp_path, "g.yaml", grid_doc()), "--nodes", nodes_file])
    assert code == cli.EXIT_INTERNAL and err.startswith("error: internal error") and "Traceback" not in err


def console_entry() -> list[str]:
    """The command the installed ``servicegroup`` script runs, built from pyproject's entry point."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["servicegroup"].split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {function}; sys.exit({function}())"]


def test_console_entry_point_as_a_subprocess(tmp_path, nodes_file):
    proc = subprocess.run(
        [*console_entry(), "render", "-f", "-", "--nodes", nodes_file, "-o", "json"],
        input=yaml.safe_dump(grid_doc()),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [i["metadata"]["name"] for i in json.loads(proc.stdout)["items"]] == ["web-a", "web-b"]


def test_console_entry_point_error_as_a_subprocess(tmp_path):
    proc = subprocess.run(
        [*console_entry(), "render", "-f", str(tmp_path / "missing.yaml"), "--nodes", "-"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_unquoted_dates_stay_strings_as_in_kubectl(render, tmp_path, nodes_file):
    doc = grid_doc()
    text = yaml.safe_dump(doc).replace("metadata:\n", "metadata:\n  annotations:\n    built: 2024-01-01\n", 1)
    code, out, err = render(["-f", write(tmp_path, "dated.yaml", text), "--nodes", nodes_file])
    assert code == 0, err
    assert "built: '2024-01-01'" in out
