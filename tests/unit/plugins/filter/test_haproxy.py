"""haproxy_sections and haproxy_problems: the sections the template reads, and what the role refuses."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.filter.haproxy import haproxy_problems, haproxy_sections

FRONTEND = {"name": "http_in", "binds": [":80"], "default_backend": "shop",
            "use_backends": [{"backend": "office", "condition": "{ path_beg /admin }"}]}
SHOP = {"name": "shop", "servers": [{"name": "app1", "address": "10.0.0.2:8000"},
                                    {"name": "app2", "address": "10.0.0.3:8000", "weight": 10}],
        "http_check": {"path": "/health"}}
OFFICE = {"name": "office", "servers": [{"name": "office1", "address": "10.0.0.4:8000"}]}


def sections(frontends=(FRONTEND,), backends=(SHOP, OFFICE), listens=()):
    return haproxy_sections(list(frontends), list(backends), list(listens), retry_on="conn-failure")


def test_every_key_is_filled_in_and_the_kinds_keep_their_order():
    first, shop, office = sections()
    assert [first["kind"], shop["kind"], office["kind"]] == ["frontend", "backend", "backend"]
    assert first["mode"] == "http" and first["servers"] == [] and first["retry_on"] == "conn-failure"
    assert shop["http_check"] == {"method": "GET", "path": "/health", "expect_status": 200, "host": None}
    assert office["http_check"] is None
    assert shop["servers"][1] == {"name": "app2", "address": "10.0.0.3:8000", "weight": 10, "check": True,
                                  "inter": None, "rise": None, "fall": None, "backup": False, "extra": ""}


def test_a_section_keeps_its_own_values_and_the_input_is_left_alone():
    tcp = {"name": "mysql", "mode": "tcp", "binds": ["127.0.0.1:3306"], "retry_on": None,
           "servers": [{"name": "db1", "address": "10.0.0.5:3306", "check": False}]}
    listen, = sections(frontends=(), backends=(), listens=(tcp,))
    assert (listen["mode"], listen["retry_on"], listen["servers"][0]["check"]) == ("tcp", None, False)
    assert "kind" not in tcp and "inter" not in tcp["servers"][0]


def test_a_sound_configuration_has_no_problem():
    assert haproxy_problems(sections(), stats_section="stats", stats_bind="127.0.0.1:8404") == []


def test_shared_names_empty_pools_and_twin_servers_are_named():
    twins = {"name": "office", "servers": [{"name": "a", "address": "x:1"}, {"name": "a", "address": "y:1"}]}
    problems = haproxy_problems(sections(backends=(SHOP, twins, {"name": "stats"}, {"name": "shop", "servers": []})),
                                stats_section="stats", stats_bind=":8404")
    assert problems[0] == ('haproxy_frontends, haproxy_backends and haproxy_listens (with the stats page, "stats")'
                           " share the names shop, stats.")
    assert "backend office has servers sharing the names a." in problems
    assert "backend stats has no servers: every request to it would fail (an empty tier in the inventory?)." in problems


def test_a_frontend_naming_an_unknown_backend_or_binding_nothing_is_refused():
    lost = dict(FRONTEND, binds=[], default_backend="shopp")
    assert haproxy_problems(sections(frontends=(lost,))) == [
        "frontend http_in binds no address.",
        "frontend http_in names backends that are in neither haproxy_backends nor haproxy_listens: shopp"
        " (defined: shop, office)."]


@pytest.mark.parametrize("path", ["health", "/with space", '/"quoted"'])
def test_pool_checks_need_mode_http_and_a_plain_path(path):
    checked = dict(FRONTEND, mode="tcp", pool_checks=[{"backend": "shop", "path": path}])
    assert haproxy_problems(sections(frontends=(checked,))) == [
        "frontend http_in has pool_checks, which need mode http.",
        "frontend http_in: pool check path %s must start with / and hold no spaces or quotes." % path]


def test_two_sections_or_the_stats_page_on_one_port_collide():
    other = {"name": "other", "binds": ["0.0.0.0:80"], "default_backend": "shop"}
    assert haproxy_problems(sections(frontends=(FRONTEND, other)), stats_section="stats", stats_bind="*:80") == [
        "frontend http_in (:80) and frontend other (0.0.0.0:80) listen on the same port 80.",
        "frontend http_in (:80) and the stats page (*:80) listen on the same port 80.",
        "frontend other (0.0.0.0:80) and the stats page (*:80) listen on the same port 80."]


def test_a_section_that_is_no_mapping_is_an_error_not_a_traceback():
    with pytest.raises(AnsibleFilterError, match="haproxy_backends must be a list of dicts"):
        haproxy_sections([], ["shop"], [])
