"""The per-unit engine every grid kind shares: failing units, reserved names, kept children."""

from hooks.grids.grid_sync import UnitChildren, render_per_unit
from hooks.kube.errors import SpecError


def kind(name=lambda u: f"c-{u}", failing=()):
    def render(unit):
        if unit in failing:
            raise SpecError(f"{unit} is broken")
        return {"kind": "X", "metadata": {"name": name(unit)}, "spec": {"unit": unit}}

    return UnitChildren(name=name, render=render, state=lambda seen: {"ready": seen is not None})


def live(name, unit):
    return {"kind": "X", "metadata": {"name": name, "uid": "u1"}, "spec": {"unit": unit}, "status": {"n": 1}}


def test_failing_unit_keeps_its_observed_child_and_reports():
    out = render_per_unit(["a", "b"], {"c-b": live("c-b", "old")}, kind(failing=("b",)))
    assert [c["metadata"]["name"] for c in out.desired] == ["c-a", "c-b"]
    assert out.desired[1] == {"kind": "X", "metadata": {"name": "c-b"}, "spec": {"unit": "old"}}
    assert out.errors == {"b": "b is broken"}
    assert out.states == {"a": {"ready": False}, "b": {"ready": True, "error": "b is broken"}}


def test_failing_unit_without_observed_child_renders_nothing():
    out = render_per_unit(["a"], {}, kind(failing=("a",)))
    assert out.desired == [] and "a" in out.errors


def test_reserved_names_are_never_claimed_nor_their_objects_kept():
    observed = {"taken": live("taken", "shared")}
    out = render_per_unit(["a"], observed, kind(name=lambda u: "taken"), reserved={"taken": "the shared Service"})
    assert out.desired == []
    assert out.errors == {"a": "child name 'taken' is already used by the shared Service"}


def test_two_units_never_share_a_child():
    out = render_per_unit(["a", "b"], {"same": live("same", "a")}, kind(name=lambda u: "same"))
    assert [c["spec"]["unit"] for c in out.desired] == ["a"]
    assert out.errors == {"b": "child name 'same' is already used by unit 'a'"}
