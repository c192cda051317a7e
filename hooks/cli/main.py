"""The ``servicegroup`` command: preview a grid's children offline, diff them with live ones, or run the server.

``servicegroup render -f GRIDS --nodes NODES`` prints what the server would
create on those nodes; ``servicegroup diff ... --live CHILDREN`` what a sync
would create, update and delete among the live children (exit status as
diff(1)); ``servicegroup serve`` starts gunicorn with the repo's
configuration. Problems are reported as one ``error:`` line each on stderr with
a non-zero exit status (2 for a usage error, as argparse does), never as a traceback.
Bare ``servicegroup`` prints the help.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TextIO

import yaml

from hooks.cli.diff import diff_all, live_children
from hooks.cli.render import RENDER_TIME, RenderError, render_all, site_objects
from hooks.kube.documents import DocumentError, Inputs, PlainDumper
from hooks.kube.times import TIME_FORMAT, parse_time

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DIFFERENT = 1  # servicegroup diff, like diff(1): something changes
EXIT_TROUBLE = 2  # servicegroup diff: an input or a grid is in error
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in this program, not in the input
NODES_HELP = (
    "Node objects, and optionally the cluster's NodeUnits (kubectl get nodes,nodeunits -o yaml): "
    "NodeUnits-mode grids then use those NodeUnits"
)
GUNICORN_CONFIG = "python:hooks.server.gunicorn_conf"
WSGI_APP = "hooks.app:app"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicegroup",
        description="Preview the children of grids offline, compare them with live ones, or run the ServiceGroup "
        "hook server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = commands.add_parser(
        "render",
        help="print the children that grids would get on the given nodes",
        description="Print every child object the grids would get, exactly as the hook server renders them. "
        "Inputs may be files, directories (their .yaml/.yml/.json files), or '-' for stdin; each may hold one "
        "object, several YAML documents, JSON, or a List (kubectl get ... -o yaml).",
    )
    render.add_argument("-f", "--filename", action="append", required=True, metavar="GRIDS", help="grid objects")
    render.add_argument("--nodes", action="append", required=True, metavar="NODES", help=NODES_HELP)
    render.add_argument(
        "-n", "--namespace", default="default", help="namespace of grids that set none (default: %(default)s)"
    )
    render.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    render.add_argument(
        "--observed",
        action="append",
        default=[],
        metavar="CHILDREN",
        help="live children (kubectl get deploy -o yaml): render the next sync, e.g. of a rollout",
    )
    render.add_argument(
        "--plan", action="store_true", help="print each rollout's steps and what every unit gets, not the children"
    )
    render.add_argument(
        "--now",
        type=utc_time,
        metavar="TIME",
        help="the clock, as 2026-01-01T00:00:00Z (default: now with --observed, else 1970-01-01T00:00:00Z)",
    )
    render.set_defaults(run=run_render)

    diff = commands.add_parser(
        "diff",
        help="show what syncing the grids with this version would create, change and delete",
        description="Compare what this version's hooks answer for each grid with the live children, the way "
        "Metacontroller does: per child, what will be created, deleted, or updated (fields added, changed and "
        "removed). Exit status 0: nothing changes; 1: something changes; 2: an input or a grid is in error.",
    )
    diff.add_argument("-f", "--filename", action="append", required=True, metavar="GRIDS", help="live grids")
    diff.add_argument("--nodes", action="append", required=True, metavar="NODES", help=NODES_HELP)
    diff.add_argument(
        "--live",
        action="append",
        required=True,
        metavar="CHILDREN",
        help="the live children (kubectl get deploy,sts,svc -A -l superedge.io/grid-selector -o yaml)",
    )
    diff.add_argument(
        "-n", "--namespace", default="default", help="namespace of grids that set none (default: %(default)s)"
    )
    diff.add_argument("--now", type=utc_time, metavar="TIME", help="the clock, as 2026-01-01T00:00:00Z (default: now)")
    diff.set_defaults(run=run_diff)

    serve = commands.add_parser(
        "serve",
        help="run the hook server (gunicorn with hooks/server/gunicorn_conf.py)",
        description="Run the hook server under gunicorn. Options override the HOOKS_* environment variables "
        "listed in docs/reference.md (Hook server).",
    )
    serve.add_argument("--bind", help="listen address, HOST:PORT or unix:PATH (HOOKS_BIND)")
    serve.add_argument("--workers", help="worker processes, at least 1 (HOOKS_WORKERS)")
    serve.add_argument("--log-level", help="debug, info, warning, error or critical (HOOKS_LOG_LEVEL)")
    serve.set_defaults(run=run_serve)
    return parser


def run_render(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    try:
        inputs = Inputs(stdin)
        sites = site_objects(inputs.objects(args.nodes))
        grids = inputs.objects(args.filename)
        observed = [item.obj for item in inputs.objects(args.observed)]
    except (DocumentError, RenderError) as err:
        return fail(stderr, [str(err)])
    if not grids:
        return fail(stderr, [f"no objects found in {', '.join(args.filename)}"])
    now = args.now or (datetime.now(UTC).strftime(TIME_FORMAT) if observed else RENDER_TIME)
    outcome = render_all(grids, sites.nodes, args.namespace, observed, now, sites.nodeunits)
    for note in outcome.notes:  # before any error: a misspelt field is often its cause
        print(f"warning: {note}", file=stderr)
    if outcome.errors:
        return fail(stderr, outcome.errors)
    if args.plan:
        if not outcome.plans:
            print("warning: no grid has spec.rollout: every unit gets its child at once", file=stderr)
        stdout.write("".join(line + "\n" for line in outcome.plans))
        return EXIT_OK
    stdout.write(format_objects(outcome.children, args.output))
    return EXIT_OK


def run_diff(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Print each child that changes and a summary; exit like diff(1): 0 same, 1 different, 2 trouble."""
    try:
        inputs = Inputs(stdin)
        sites = site_objects(inputs.objects(args.nodes))
        grids = inputs.objects(args.filename)
        live = live_children(inputs.objects(args.live))
    except (DocumentError, RenderError) as err:
        fail(stderr, [str(err)])
        return EXIT_TROUBLE
    now = args.now or datetime.now(UTC).strftime(TIME_FORMAT)
    outcome = diff_all(grids, sites, live, args.namespace, now)
    for note in outcome.notes:
        print(f"warning: {note}", file=stderr)
    stdout.write("".join(line + "\n" for diff in outcome.diffs for line in diff.lines()))
    print(f"servicegroup diff: {outcome.summary()}", file=stdout)
    if outcome.errors:
        fail(stderr, outcome.errors)
        return EXIT_TROUBLE
    return EXIT_DIFFERENT if outcome.diffs else EXIT_OK


def utc_time(value: str) -> str:
    """``--now``: a UTC time as Kubernetes writes it (the hooks' clock format)."""
    if parse_time(value) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a UTC time like 2026-01-01T00:00:00Z")
    return value


def format_objects(objects: list[dict], output: str) -> str:
    """A YAML stream (one document per object), or one JSON ``List`` as ``kubectl get -o json`` prints."""
    if output == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2) + "\n"
    return yaml.dump_all(objects, Dumper=PlainDumper, sort_keys=False, default_flow_style=False, explicit_start=True)


def package_version() -> str:
    """The installed distribution's version (pyproject.toml), the one CHANGELOG.md describes."""
    try:
        return version("servicegroup-hooks")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def run_serve(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Replace this process with gunicorn, so signals from the container runtime reach it directly.

    Options become the ``HOOKS_*`` variables; gunicorn's config (hooks/server/gunicorn_conf.py) checks every
    setting before it binds or makes anything, so a bad one is one line naming the variable and exit status 2,
    for this command and for the container's plain gunicorn entry point alike.
    """
    for variable, value in (
        ("HOOKS_BIND", args.bind),
        ("HOOKS_WORKERS", args.workers),
        ("HOOKS_LOG_LEVEL", args.log_level),
    ):
        if value is not None:
            os.environ[variable] = str(value)
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, WSGI_APP]
    try:
        os.execv(sys.executable, argv)
    except OSError as err:
        return fail(stderr, [f"cannot start gunicorn: {err}"])
    return EXIT_ERROR  # not reached: execv does not return


def fail(stderr: TextIO, messages: list[str]) -> int:
    for message in messages:
        print(f"error: {message}", file=stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `servicegroup`: what it can do, not a usage error
        parser.print_help(sys.stdout)
        return EXIT_OK
    try:
        return args.run(args, sys.stdin, sys.stdout, sys.stderr)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug: still one line, never a traceback
        print(f"error: internal error ({type(err).__name__}: {err}); please report it", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
