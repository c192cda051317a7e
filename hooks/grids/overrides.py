"""Per-unit differences: ``spec.overrides`` entries applied, in order, to one unit's child.

Each entry may set ``replicas`` (or the other spec fields a kind allows: :class:`EntryRules`), replace
container ``images`` and apply an RFC 6902 ``patch`` to the whole child. Parsing checks the list once per
sync (a bad list is a whole-spec error); applying happens per unit and fails only that unit.

Children are built by path copying: the template's subtrees are shared between
units. ``replicas`` and ``images`` copy only the path they change; a ``patch`` may
touch anything, so the child is deep-copied once before the first patch. A unit that
no entry names costs one membership test per entry and no copy at all.

What a grid may ask for is bounded (:mod:`hooks.grids.limits`): the number of entries and operations
when the list is read, and, for each unit, the child's size and the patch's work as each change is made
(:mod:`hooks.grids.json_patch`), so no unit can make the hook build a child that could never be stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from hooks.grids.autoscaling_spec import Autoscaling, parse_autoscaling
from hooks.grids.json_patch import (
    OPS,
    UNIT_PLACEHOLDER,
    Document,
    Operation,
    PatchError,
    apply,
    member_delta,
    operation,
    pointer_tokens,
)
from hooks.grids.limits import (
    LIMITS_DOC,
    MAX_OVERRIDES,
    MAX_PATCH_OPERATIONS,
    MAX_PATCH_OPERATIONS_PER_ENTRY,
    MAX_UNIT_PATCH_OPERATIONS,
    PATCH_VALUE_TOO_LARGE,
    TOO_MANY_OVERRIDES,
    TOO_MANY_PATCH_OPERATIONS,
    Budget,
    LimitExceeded,
    check_count,
    check_part_size,
)
from hooks.kube.errors import SpecError
from hooks.kube.images import image_error
from hooks.kube.names import DNS1123_LABEL, is_label_value
from hooks.kube.objects import holds_null
from hooks.kube.sizes import json_size
from hooks.sites.site_spec import MAX_SPEC_DEPTH

ENTRY_FIELDS = ("units", "replicas", "images", "patch", "autoscaling")
SCALING_FIELDS = ("replicas", "autoscaling")
"""Entry fields of kinds with replicas only."""
CONTAINER_LISTS = ("containers", "initContainers")
POD_PATH = ("spec", "template")

FieldCheck = Callable[[object, str], object]
"""(value, where) -> the checked value, or SpecError naming ``where``."""
Path = tuple[str, ...]
Settings = tuple[tuple[Path, object], ...]


def in_spec(name: str, value: object) -> Settings:
    """An entry field that sets the child's ``spec.<name>`` (a CronJob's ``schedule``)."""
    return ((("spec", name), value),)


def each_key(name: str, value: object) -> Settings:
    """An entry field holding a map whose keys each set ``<name>.<key>`` of the child (a ConfigMap's ``data``)."""
    assert isinstance(value, dict)
    return tuple(((name, key), item) for key, item in value.items())


@dataclass(frozen=True)
class FieldRule:
    """One field an entry may hold: its check (when the spec is read) and where it goes in the child."""

    check: FieldCheck
    place: Callable[[str, object], Settings] = in_spec


@dataclass(frozen=True)
class EntryRules:
    """What one kind's ``overrides`` entries may hold besides ``units`` and ``patch``.

    ``replicas`` is a workload's pod count (a DaemonSet or CronJob has none: an entry setting it is an invalid
    spec, not a silent no-op); ``fields`` are other fields an entry may set (a CronJob's ``schedule``, a
    ConfigMap's ``data`` keys), each with its rule; ``images`` replaces container images of the pod template
    at ``pod_path`` (kinds without pods have no ``images``).
    """

    grid_kind: str = "DeploymentGrid"
    replicas: bool = True
    fields: Mapping[str, FieldRule] = field(default_factory=dict)
    pod_path: tuple[str, ...] = POD_PATH
    images: bool = True

    def entry_fields(self) -> tuple[str, ...]:
        own = ("replicas",) if self.replicas else ()
        images = ("images",) if self.images else ()
        scaling = ("autoscaling",) if self.replicas else ()
        return ("units", *own, *self.fields, *images, "patch", *scaling)


WORKLOAD_RULES = EntryRules()


@dataclass(frozen=True)
class Override:
    """One checked entry of ``spec.overrides``; ``units`` None means every unit."""

    index: int
    units: frozenset[str] | None = None
    replicas: int | None = None
    images: dict[str, str] = field(default_factory=dict)
    patch: tuple[Operation, ...] = ()
    autoscaling: Autoscaling | None = None
    """Laid over ``spec.autoscaling`` for the entry's units (hooks.grids.autoscaling); not applied to the child."""
    fields: tuple[tuple[str, Path, object], ...] = ()
    """(entry field, path in the child, value) of the other fields the entry sets (:attr:`EntryRules.fields`),
    in the order the kind lists them. ``{{unit}}`` in a string value becomes the unit value."""
    pod_path: tuple[str, ...] = POD_PATH

    def applies_to(self, unit: str) -> bool:
        return self.units is None or unit in self.units


def parse_overrides(value: object, rules: EntryRules = WORKLOAD_RULES) -> tuple[Override, ...]:
    """Check ``spec.overrides`` as a whole; anything malformed is a SpecError for the grid."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError("spec.overrides must be a list")
    check_count(len(value), MAX_OVERRIDES, TOO_MANY_OVERRIDES, "spec.overrides")
    total = sum(len(e["patch"]) for e in value if isinstance(e, dict) and isinstance(e.get("patch"), list))
    if total > MAX_PATCH_OPERATIONS:  # counted before any operation is read
        raise LimitExceeded(
            TOO_MANY_PATCH_OPERATIONS,
            f"spec.overrides hold {total:,} patch operations in all, over the limit of {MAX_PATCH_OPERATIONS:,} "
            f"({LIMITS_DOC})",
        )
    return tuple(_parse_entry(i, entry, rules) for i, entry in enumerate(value))


def _parse_entry(index: int, entry: object, rules: EntryRules) -> Override:
    where = f"spec.overrides[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(f"{where} must be an object")
    allowed = rules.entry_fields()
    for name in SCALING_FIELDS:
        if not rules.replicas and entry.get(name) is not None:
            raise SpecError(f"{where}.{name}: a {rules.grid_kind} has no replicas (its child has no spec.replicas)")
    unknown = sorted(set(entry) - set(allowed) - set(SCALING_FIELDS))
    if unknown:
        raise SpecError(f"{where} has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    fields = tuple(
        (name, path, value)
        for name, rule in rules.fields.items()
        if entry.get(name) is not None
        for path, value in rule.place(name, rule.check(entry[name], f"{where}.{name}"))
    )
    return Override(
        index=index,
        units=parse_units(entry.get("units"), f"{where}.units"),
        replicas=_parse_replicas(entry.get("replicas"), f"{where}.replicas"),
        images=_parse_images(entry.get("images"), f"{where}.images") if rules.images else {},
        patch=parse_patch(entry.get("patch"), f"{where}.patch"),
        autoscaling=parse_autoscaling(entry.get("autoscaling"), f"{where}.autoscaling") if rules.replicas else None,
        fields=fields,
        pod_path=rules.pod_path,
    )


def parse_units(value: object, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise SpecError(f"{where} must be a list of unit values")
    for unit in value:
        if not isinstance(unit, str) or not unit or not is_label_value(unit):
            raise SpecError(f"{where}: {unit!r} is not a valid unit value (a non-empty label value)")
    return frozenset(value)


def _parse_replicas(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 2**31 - 1:
        raise SpecError(f"{where} must be an integer from 0 to 2147483647, got {value!r}")
    return value


def _parse_images(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be a map of container name to image")
    for name, image in value.items():
        if len(name) > 63 or not DNS1123_LABEL.match(name):
            raise SpecError(f"{where}: {name!r} is not a container name (a DNS-1123 label)")
        problem = image_error(image)
        if problem:
            raise SpecError(f"{where}[{name}]: {problem}")
    return value


def parse_patch(value: object, where: str) -> tuple[Operation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(f"{where} must be a list of RFC 6902 operations")
    check_count(len(value), MAX_PATCH_OPERATIONS_PER_ENTRY, TOO_MANY_PATCH_OPERATIONS, where)
    return tuple(_parse_operation(op, f"{where}[{i}]") for i, op in enumerate(value))


def _parse_operation(op: object, where: str) -> Operation:
    """Check one operation; members RFC 6902 does not define for it are dropped (the RFC ignores them)."""
    if not isinstance(op, dict):
        raise SpecError(f"{where} must be an object with 'op' and 'path'")
    name = op.get("op")
    if name not in OPS:
        raise SpecError(f"{where}.op must be one of {', '.join(OPS)}, got {name!r}")
    path = _pointer(op.get("path"), f"{where}.path")
    source = _pointer(op.get("from"), f"{where}.from") if name in ("move", "copy") else None
    if name not in ("add", "replace", "test"):
        return operation(name, path, source)
    if "value" not in op:
        raise SpecError(f"{where}: a {name} operation needs a 'value'")
    value = op["value"]
    if name != "test" and holds_null(value):
        # The API server drops nulls, so the child would never match what we send: an endless update loop.
        raise SpecError(f"{where}.value must not be or contain null (use a remove operation instead)")
    try:
        checked = operation(name, path, source, value)
    except orjson.JSONEncodeError as err:
        raise SpecError(f"{where}.value cannot be written as JSON: {err}") from None
    check_part_size(checked.value_size, f"{where}.value", PATCH_VALUE_TOO_LARGE)  # no child holds (or equals) it
    return checked


def _pointer(path: object, where: str) -> str:
    """A JSON pointer below the root ("" would replace the whole child, which no override may do)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise SpecError(f"{where} must be a JSON pointer starting with '/', got {path!r}")
    try:
        tokens = pointer_tokens(path)
    except ValueError as err:
        raise SpecError(f"{where} {path!r} is not a valid JSON pointer: {err}") from None
    if len(tokens) > MAX_SPEC_DEPTH:  # each operation walks its pointer for every unit on every sync
        raise SpecError(
            f"{where} has {len(tokens):,} levels, more than the {MAX_SPEC_DEPTH} a grid's spec (and so a "
            "child built from it) may nest"
        )
    return path


def unmatched_units(overrides: Iterable[Override], units: Iterable[str]) -> list[str]:
    """Unit values named by overrides that no current unit has (not an error: sites come and go)."""
    named = set().union(*(o.units for o in overrides if o.units is not None))
    return sorted(named.difference(units))


def apply_overrides(child: dict, overrides: Iterable[Override], unit: str) -> dict:
    """``child`` with every entry that applies to ``unit`` applied in order; SpecError fails the unit.

    ``child`` and anything it shares with the template are never mutated: every change copies only the
    path it changes. The child is measured once, when the first entry applies; from then on every change
    is counted before it is made (:class:`~hooks.grids.limits.Budget`), so a unit over a limit fails
    without the child being built.
    """
    applying = [entry for entry in overrides if entry.applies_to(unit)]
    operations = sum(len(entry.patch) for entry in applying)
    if operations > MAX_UNIT_PATCH_OPERATIONS:
        raise LimitExceeded(
            TOO_MANY_PATCH_OPERATIONS,
            f"spec.overrides: {operations:,} patch operations apply to this unit, over the limit of "
            f"{MAX_UNIT_PATCH_OPERATIONS:,} ({LIMITS_DOC})",
        )
    budget: Budget | None = None
    for entry in applying:
        if budget is None:
            budget = Budget(json_size(child))
        if entry.replicas is not None:
            child = _with_field(
                child, f"spec.overrides[{entry.index}].replicas", ("spec", "replicas"), entry.replicas, budget
            )
        for name, path, value in entry.fields:
            if isinstance(value, str):
                value = value.replace(UNIT_PLACEHOLDER, unit)
            child = _with_field(child, f"spec.overrides[{entry.index}].{name}", path, value, budget)
        if entry.images:
            child = _with_images(child, entry, budget)
        if entry.patch:
            child = _patch(child, entry, unit, budget)
    return child


def _with_field(child: dict, where: str, path: Path, value: object, budget: Budget) -> dict:
    """``child`` with the value at ``path`` set (``spec.replicas``, a CronJob's ``spec.schedule``, a ConfigMap's
    ``data.<key>``); missing objects on the path are created, only the objects on it are copied."""
    containers = [child]
    for depth, key in enumerate(path[:-1]):
        below = containers[-1].get(key)
        if below is None:
            nested = value
            for inner in reversed(path[depth + 1 :]):
                nested = {inner: nested}
            _grow(budget, member_delta(containers[-1], key, json_size(nested)), where)
            return _replaced(child, path[: depth + 1], nested)
        if not isinstance(below, dict):
            raise SpecError(f"{where}: the child's {_dotted(path[: depth + 1])} is not an object")
        containers.append(below)
    _grow(budget, member_delta(containers[-1], path[-1], json_size(value)), where)
    return _replaced(child, path, value)


def _with_images(child: dict, entry: Override, budget: Budget) -> dict:
    """Path-copy down to the pod spec (``entry.pod_path``) and its container lists, replacing the named images."""
    where = f"spec.overrides[{entry.index}].images"
    pod_spec = _object(_at(child, (*entry.pod_path, "spec"), where), f"{where}: {_dotted((*entry.pod_path, 'spec'))}")
    found: set[str] = set()
    new_pod_spec = dict(pod_spec)
    delta = 0
    for list_name in CONTAINER_LISTS:
        containers = pod_spec.get(list_name)
        if containers is None:
            continue
        if not isinstance(containers, list):
            raise SpecError(f"{where}: {_dotted((*entry.pod_path, 'spec', list_name))} is not a list")
        _charge(budget, len(containers), where)  # every entry with images scans (and copies) the list
        new_list = []
        for container in containers:
            image = _image_of(container, entry.images)
            if image is None:
                new_list.append(container)
                continue
            found.add(container["name"])
            delta += member_delta(container, "image", json_size(image))
            new_list.append({**container, "image": image})
        new_pod_spec[list_name] = new_list
    missing = sorted(set(entry.images) - found)
    if missing:
        raise SpecError(f"{where}: no container or initContainer named {', '.join(map(repr, missing))}")
    _grow(budget, delta, where)
    return _replaced(child, (*entry.pod_path, "spec"), new_pod_spec)


def _at(obj: dict, path: tuple[str, ...], where: str) -> object:
    """The value at ``path`` below ``obj``; every level above it must be an object."""
    node: object = obj
    for depth, key in enumerate(path):
        node = _object(node, f"{where}: {_dotted(path[:depth]) or 'the child'}").get(key)
    return node


def _replaced(obj: dict, path: tuple[str, ...], value: object) -> dict:
    """``obj`` with the value at ``path`` replaced, copying only the objects on the path."""
    head, *rest = path
    return {**obj, head: _replaced(obj[head], tuple(rest), value) if rest else value}


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _image_of(container: object, images: Mapping[str, str]) -> str | None:
    """The image the entry sets for ``container``, or None when it names another container."""
    name = container.get("name") if isinstance(container, dict) else None
    return images.get(name) if isinstance(name, str) else None


def _object(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{what} is not an object")
    return value


def _charge(budget: Budget, work: int, where: str) -> None:
    try:
        budget.charge(work)
    except LimitExceeded as err:
        raise LimitExceeded(err.reason, f"{where}: {err}") from None


def _grow(budget: Budget, delta: int, where: str) -> None:
    try:
        budget.grow(delta)
    except LimitExceeded as err:
        raise LimitExceeded(err.reason, f"{where}: {err}") from None


def _patch(child: dict, entry: Override, unit: str, budget: Budget) -> dict:
    """Apply the entry's operations one by one, so an error names the operation that failed."""
    doc = Document(child, budget)
    for number, op in enumerate(entry.patch):
        try:
            apply(doc, op, unit)
        except (PatchError, LimitExceeded) as err:
            path = op.path.replace(UNIT_PLACEHOLDER, unit)
            path = path if len(path) <= 80 else path[:77] + "..."  # status messages stay short
            what = f"spec.overrides[{entry.index}].patch[{number}] ({op.op} {path})"
            if isinstance(err, LimitExceeded):
                raise LimitExceeded(err.reason, f"{what}: {err}") from None
            raise SpecError(f"{what}: {err}") from None
    return doc.root
