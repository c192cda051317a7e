"""Per-unit differences: ``spec.overrides`` entries applied, in order, to one unit's child.

Each entry may set ``replicas``, replace container ``images`` and apply an RFC 6902
``patch`` to the whole child. Parsing checks the list once per sync (a bad list is a
whole-spec error); applying happens per unit and fails only that unit.

Children are built by path copying: the template's subtrees are shared between
units. ``replicas`` and ``images`` copy only the path they change; a ``patch`` may
touch anything, so the child is deep-copied once before the first patch. A unit that
no entry names costs one membership test per entry and no copy at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import jsonpatch
import jsonpointer
import orjson

from hooks.grids.autoscaling_spec import Autoscaling, parse_autoscaling
from hooks.kube.errors import SpecError
from hooks.kube.images import image_error
from hooks.kube.names import DNS1123_LABEL, is_label_value
from hooks.kube.objects import holds_null

UNIT_PLACEHOLDER = "{{unit}}"
OPS = ("add", "remove", "replace", "move", "copy", "test")
ENTRY_FIELDS = ("units", "replicas", "images", "patch", "autoscaling")
CONTAINER_LISTS = ("containers", "initContainers")


@dataclass(frozen=True)
class Override:
    """One checked entry of ``spec.overrides``; ``units`` None means every unit."""

    index: int
    units: frozenset[str] | None = None
    replicas: int | None = None
    images: dict[str, str] = field(default_factory=dict)
    patch: tuple[dict, ...] = ()
    autoscaling: Autoscaling | None = None
    """Laid over ``spec.autoscaling`` for the entry's units (hooks.grids.autoscaling); not applied to the child."""

    def applies_to(self, unit: str) -> bool:
        return self.units is None or unit in self.units


def parse_overrides(value: object) -> tuple[Override, ...]:
    """Check ``spec.overrides`` as a whole; anything malformed is a SpecError for the grid."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError("spec.overrides must be a list")
    return tuple(_parse_entry(i, entry) for i, entry in enumerate(value))


def _parse_entry(index: int, entry: object) -> Override:
    where = f"spec.overrides[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(f"{where} must be an object")
    unknown = sorted(set(entry) - set(ENTRY_FIELDS))
    if unknown:
        raise SpecError(f"{where} has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(ENTRY_FIELDS)}")
    return Override(
        index=index,
        units=_parse_units(entry.get("units"), f"{where}.units"),
        replicas=_parse_replicas(entry.get("replicas"), f"{where}.replicas"),
        images=_parse_images(entry.get("images"), f"{where}.images"),
        patch=_parse_patch(entry.get("patch"), f"{where}.patch"),
        autoscaling=parse_autoscaling(entry.get("autoscaling"), f"{where}.autoscaling"),
    )


def _parse_units(value: object, where: str) -> frozenset[str] | None:
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


def _parse_patch(value: object, where: str) -> tuple[dict, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(f"{where} must be a list of RFC 6902 operations")
    return tuple(_parse_operation(op, f"{where}[{i}]") for i, op in enumerate(value))


def _parse_operation(op: object, where: str) -> dict:
    """Check one operation; members RFC 6902 does not define for it are dropped (the RFC ignores them)."""
    if not isinstance(op, dict):
        raise SpecError(f"{where} must be an object with 'op' and 'path'")
    name = op.get("op")
    if name not in OPS:
        raise SpecError(f"{where}.op must be one of {', '.join(OPS)}, got {name!r}")
    checked = {"op": name, "path": _pointer(op.get("path"), f"{where}.path")}
    if name in ("move", "copy"):
        checked["from"] = _pointer(op.get("from"), f"{where}.from")
    if name in ("add", "replace", "test"):
        if "value" not in op:
            raise SpecError(f"{where}: a {name} operation needs a 'value'")
        if name != "test" and holds_null(op["value"]):
            # The API server drops nulls, so the child would never match what we send: an endless update loop.
            raise SpecError(f"{where}.value must not be or contain null (use a remove operation instead)")
        checked["value"] = op["value"]
    return checked


def _pointer(path: object, where: str) -> str:
    """A JSON pointer below the root ("" would replace the whole child, which no override may do)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise SpecError(f"{where} must be a JSON pointer starting with '/', got {path!r}")
    try:
        jsonpointer.JsonPointer(path)
    except jsonpointer.JsonPointerException as err:
        raise SpecError(f"{where} {path!r} is not a valid JSON pointer: {err}") from None
    return path


def unmatched_units(overrides: Iterable[Override], units: Iterable[str]) -> list[str]:
    """Unit values named by overrides that no current unit has (not an error: sites come and go)."""
    named = set().union(*(o.units for o in overrides if o.units is not None))
    return sorted(named.difference(units))


def apply_overrides(child: dict, overrides: Iterable[Override], unit: str) -> dict:
    """``child`` with every entry that applies to ``unit`` applied in order; SpecError fails the unit.

    ``child`` and anything it shares with the template are never mutated.
    """
    owned = False  # True once child is a private deep copy that may be edited in place
    for entry in overrides:
        if not entry.applies_to(unit):
            continue
        if entry.replicas is not None:
            child = _with_replicas(child, entry)
        if entry.images:
            child = _with_images(child, entry)
        if entry.patch:
            if not owned:
                child, owned = orjson.loads(orjson.dumps(child)), True
            _patch(child, entry, unit)
    return child


def _with_replicas(child: dict, entry: Override) -> dict:
    spec = child.get("spec")
    if not isinstance(spec, dict):
        raise SpecError(f"spec.overrides[{entry.index}].replicas: the child's spec is not an object")
    return {**child, "spec": {**spec, "replicas": entry.replicas}}


def _with_images(child: dict, entry: Override) -> dict:
    """Path-copy spec -> template -> pod spec -> container lists, replacing the named images."""
    where = f"spec.overrides[{entry.index}].images"
    spec = _object(child.get("spec"), f"{where}: the child's spec")
    pod = _object(spec.get("template"), f"{where}: spec.template")
    pod_spec = _object(pod.get("spec"), f"{where}: spec.template.spec")
    found: set[str] = set()
    new_pod_spec = dict(pod_spec)
    for list_name in CONTAINER_LISTS:
        containers = pod_spec.get(list_name)
        if containers is None:
            continue
        if not isinstance(containers, list):
            raise SpecError(f"{where}: spec.template.spec.{list_name} is not a list")
        new_pod_spec[list_name] = [_with_image(c, entry.images, found) for c in containers]
    missing = sorted(set(entry.images) - found)
    if missing:
        raise SpecError(f"{where}: no container or initContainer named {', '.join(map(repr, missing))}")
    return {**child, "spec": {**spec, "template": {**pod, "spec": new_pod_spec}}}


def _with_image(container: object, images: Mapping[str, str], found: set[str]) -> object:
    name = container.get("name") if isinstance(container, dict) else None
    if not isinstance(name, str) or name not in images:
        return container
    found.add(name)
    return {**container, "image": images[name]}


def _object(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{what} is not an object")
    return value


def _patch(child: dict, entry: Override, unit: str) -> None:
    """Apply the entry's operations one by one (in place), so an error names the operation that failed."""
    for number, op in enumerate(entry.patch):
        concrete = with_unit(op, unit)
        try:
            jsonpatch.JsonPatch([concrete]).apply(child, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, KeyError, IndexError, TypeError) as err:
            what = f"spec.overrides[{entry.index}].patch[{number}] ({concrete['op']} {concrete['path']})"
            raise SpecError(f"{what}: {_reason(err)}") from None


def with_unit(value: object, unit: str) -> object:
    """A fresh copy of ``value`` with every ``{{unit}}`` in its strings and keys replaced by ``unit``.

    Plain string replacement, nothing else is interpreted. Paths are strings too, so
    ``/metadata/labels/{{unit}}`` works; a unit value is a label value and cannot hold the
    ``/`` or ``~`` that would change a pointer's meaning. The copy is always fresh, so
    an added value never aliases the grid's spec (later operations may edit it in place).
    """
    if isinstance(value, str):
        return value.replace(UNIT_PLACEHOLDER, unit)
    if isinstance(value, dict):
        return {k.replace(UNIT_PLACEHOLDER, unit): with_unit(v, unit) for k, v in value.items()}
    if isinstance(value, list):
        return [with_unit(v, unit) for v in value]
    return value


def _reason(err: Exception) -> str:
    """A short cause for status: library messages may quote the whole document, which must not reach status."""
    if isinstance(err, jsonpatch.JsonPatchTestFailed):
        return "test failed: the value there differs"
    message = str(err).split(" in {", 1)[0].split(" in [", 1)[0]
    if isinstance(err, KeyError) or not message:
        return f"path not found ({message or type(err).__name__})"
    return message if len(message) <= 160 else message[:157] + "..."
