"""listen_problems: addresses that cannot be bound, refused before any service tries."""

from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.filter.listen import listen_problems


@pytest.mark.parametrize("first, second", [("0.0.0.0:8080", ":8080"), ("*:8080", "10.0.0.2:8080"),
                                           ("[::]:8080", "127.0.0.1:8080"), ("10.0.0.2:8080", "10.0.0.2:8080")])
def test_two_owners_on_one_port_collide(first, second):
    assert listen_problems([["app shop", first], ["app admin", second]]) == [
        "app shop (%s) and app admin (%s) listen on the same port 8080" % (first, second)]


def test_distinct_hosts_unix_sockets_and_bind_options_are_fine():
    assert listen_problems([["a", "127.0.0.1:8000 ssl crt /etc/x.pem"], ["b", "10.0.0.2:8000"],
                            ["c", "/run/uwsgi/shop.sock"], ["d", "unix@/run/x"], ["e", "[::1]:8001"]]) == []


@pytest.mark.parametrize("address, problem", [("0.0.0.0:70000", "has port 70000, not 1-65535"),
                                              ("0.0.0.0:0", "has port 0, not 1-65535"),
                                              ("8080", "is not host:port"), ("ex!ample:80", "has host 'ex!ample', not an address or name")])
def test_a_bad_address_is_named(address, problem):
    assert listen_problems([["app shop", address]]) == ["app shop listens on %r, which %s" % (address, problem)]
