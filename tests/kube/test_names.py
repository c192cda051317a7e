from hooks.kube.names import child_name, is_dns1035_label, label_key_error, label_safe, unit_hash


def test_natural_name_is_kept_when_valid():
    assert child_name("web", "shanghai-01") == "web-shanghai-01"


def test_invalid_unit_characters_fall_back_to_hashed_name():
    name = child_name("web", "Shanghai_01.a")
    assert is_dns1035_label(name)
    assert name.endswith("-" + unit_hash("Shanghai_01.a"))
    assert name.startswith("web-shanghai-01-a")


def test_long_names_are_truncated_with_hash():
    unit = "x" * 63
    name = child_name("a-very-long-grid-name", unit, 52)
    assert len(name) <= 52 and is_dns1035_label(name, 52)
    assert name.endswith(unit_hash(unit))


def test_units_that_sanitise_alike_get_distinct_names():
    assert child_name("web", "Site_A") != child_name("web", "site.a") != child_name("web", "site-a")


def test_numeric_unit_still_yields_letter_first_name():
    assert is_dns1035_label(child_name("0grid", "1"))


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
