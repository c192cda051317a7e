from hooks.kube.names import (
    child_name,
    child_names,
    is_dns1035_label,
    label_key_error,
    label_safe,
    legacy_child_name,
    pair_hash,
)

LONG_X = "a" * 58 + "x"
LONG_Y = "a" * 58 + "y"


def test_natural_name_is_kept_when_valid():
    assert child_name("web", "shanghai-01") == "web-shanghai-01"


def test_invalid_unit_characters_fall_back_to_hashed_name():
    name = child_name("web", "Shanghai_01.a")
    assert is_dns1035_label(name)
    assert name.endswith("-" + pair_hash("web", "Shanghai_01.a"))
    assert name.startswith("web-shanghai-01-a")


def test_long_names_are_truncated_with_hash():
    unit = "x" * 63
    name = child_name("a-very-long-grid-name", unit, 52)
    assert len(name) <= 52 and is_dns1035_label(name, 52)
    assert name.endswith(pair_hash("a-very-long-grid-name", unit))


def test_units_that_sanitise_alike_get_distinct_names():
    assert child_name("web", "Site_A") != child_name("web", "site.a") != child_name("web", "site-a")


def test_numeric_unit_still_yields_letter_first_name():
    assert is_dns1035_label(child_name("0grid", "1"))


class TestPairHash:
    """Vectors computed outside Python: ``printf '%s\\0%s' GRID UNIT | sha256sum | cut -c1-8``."""

    def test_vectors(self):
        assert pair_hash("web", "Shanghai_01") == "9e349e9d"
        assert pair_hash(LONG_X, "beijing-02") == "3dc82bed"
        assert pair_hash(LONG_Y, "beijing-02") == "9ab25fc4"
        assert pair_hash("web-svc", "Shanghai_01") == "b0ec5a7c"

    def test_the_pair_is_unambiguous(self):
        assert pair_hash("ab", "c") != pair_hash("a", "bc")
        assert pair_hash("a-b", "c") != pair_hash("a", "b-c")

    def test_two_grids_with_a_long_common_prefix_name_their_children_apart(self):
        """Release 0.1.0 named both ``aaaa...-e3eac7a5``: the second grid's child was refused."""
        assert child_name(LONG_X, "beijing-02") == "a" * 54 + "-3dc82bed"
        assert child_name(LONG_Y, "beijing-02") == "a" * 54 + "-9ab25fc4"


class TestLegacyNames:
    """Names release 0.1.0 (commit 87be6e0, hooks/names.py child_name) gave, computed by that code."""

    def test_vectors_of_release_0_1_0(self):
        assert legacy_child_name(LONG_X, "beijing-02") == "a" * 54 + "-e3eac7a5"
        assert legacy_child_name(LONG_Y, "beijing-02") == "a" * 54 + "-e3eac7a5"
        assert legacy_child_name("web", "Shanghai_01") == "web-shanghai-01-1cfd3bca"
        assert legacy_child_name("web", "x" * 63, 52) == "web-" + "x" * 39 + "-75220b47"
        assert legacy_child_name("shop.v2", "site-1") == "shop-v2-site-1-f505dccd"

    def test_natural_names_did_not_change(self):
        assert legacy_child_name("web", "beijing-02") == child_name("web", "beijing-02") == "web-beijing-02"


class TestChildNames:
    def test_an_observed_old_name_is_kept_for_its_unit(self):
        names = child_names("web", {"web-shanghai-01-1cfd3bca": "Shanghai_01"})
        assert names("Shanghai_01") == "web-shanghai-01-1cfd3bca"

    def test_other_units_get_the_new_scheme(self):
        names = child_names("web", {"web-shanghai-01-1cfd3bca": "Shanghai_01"})
        assert (
            names("Beijing_02") == child_name("web", "Beijing_02") == f"web-beijing-02-{pair_hash('web', 'Beijing_02')}"
        )
        assert names("b") == "web-b"

    def test_without_observed_children_the_new_scheme(self):
        assert child_names("web", {})("Shanghai_01") == "web-shanghai-01-9e349e9d"

    def test_an_old_name_observed_for_another_unit_is_not_taken(self):
        """The child says which unit it is for; a name alone never hands it to another unit."""
        names = child_names("web", {"web-shanghai-01-1cfd3bca": "Beijing_02"})
        assert names("Shanghai_01") == "web-shanghai-01-9e349e9d"
        assert names("Beijing_02") == child_name("web", "Beijing_02")

    def test_a_name_that_is_no_old_name_is_not_kept(self):
        names = child_names("web", {"web-shanghai-01-ffffffff": "Shanghai_01"})
        assert names("Shanghai_01") == "web-shanghai-01-9e349e9d"

    def test_the_max_length_is_the_kinds(self):
        old52 = legacy_child_name("web", "x" * 63, 52)
        assert child_names("web", {old52: "x" * 63}, 52)("x" * 63) == old52
        assert child_names("web", {old52: "x" * 63})("x" * 63) == child_name("web", "x" * 63)


def test_label_key_rules():
    assert label_key_error("site") is None
    assert label_key_error("topology.kubernetes.io/zone") is None
    assert label_key_error("") is not None
    assert label_key_error("Bad Prefix/zone") is not None
    assert label_key_error("-site") is not None
    assert label_key_error(7) is not None
    assert label_key_error("a/" + "b" * 64) is not None


def test_label_safe_keeps_valid_values_and_replaces_others():
    assert label_safe("web") == "web"
    long = "g" * 80
    assert label_safe(long) != long and len(label_safe(long)) <= 63


def test_a_trailing_newline_is_never_valid():
    """Go's regexp `$` (what the API server uses) matches only at the end; Python's would accept "x\\n"."""
    assert not is_dns1035_label("site\n")
    assert label_key_error("site\n") is not None
    assert label_key_error("example.com/site\n") is not None
    assert child_name("web", "a\n") != "web-a\n"
