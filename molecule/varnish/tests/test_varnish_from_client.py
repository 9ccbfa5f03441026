"""varnish as a client on the network sees it: what is cached, what is not, PURGE and BAN."""

import json
import shlex
import time
import uuid

import pytest

testinfra_hosts = ["ansible://varnish-backend"]

CACHE = "http://varnish-cache:6081"
BACKENDS = {"varnish-cache", "varnish-backend"}


class Answer:
    def __init__(self, raw):
        head, dummy, body = raw.partition("\r\n\r\n")
        status_line, *header_lines = head.split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, dummy, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.body = body
        self.x_cache = self.headers.get("x-cache")

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def identity(self):
        """Which backend answered, and its answer number: equal identities are the same object."""
        return self.json["backend"], self.json["served"]


def request(host, path, method="GET", headers=(), data=None):
    command = ["curl", "-sS", "-i", "--max-time", "10", "-X", method]
    for header in headers:
        command += ["-H", header]
    if data is not None:
        command += ["--data", data]
    return Answer(host.check_output(shlex.join(command + [CACHE + path])))


def from_cache_host(cache, path, method="GET", headers=()):
    """A request sent on varnish-cache itself to 127.0.0.1, with the Host the clients use."""
    command = ["curl", "-sS", "-i", "--max-time", "10", "-X", method, "-H", "Host: varnish-cache:6081"]
    for header in headers:
        command += ["-H", header]
    return Answer(cache.check_output(shlex.join(command + ["http://127.0.0.1:6081" + path])))


@pytest.fixture(scope="module")
def cache(host):
    return host.get_host("ansible://varnish-cache", ansible_inventory=host.backend.ansible_inventory)


def unique(prefix):
    return f"/{prefix}/{uuid.uuid4().hex}"


def cached_object(host, path):
    first = request(host, path)
    second = request(host, path)
    assert (first.status, first.x_cache, second.x_cache) == (200, "MISS", "HIT")
    assert second.identity == first.identity
    return first


def test_get_is_a_miss_then_a_hit_with_the_same_object(host):
    path = unique("page")
    first = request(host, path)
    second = request(host, path)
    assert first.status == 200
    assert first.x_cache == "MISS"
    assert second.x_cache == "HIT"
    assert second.identity == first.identity


def test_post_is_never_cached(host):
    path = unique("form")
    cached = cached_object(host, path)
    posts = [request(host, path, method="POST", data=f"n={n}") for n in (1, 2)]
    for n, post in enumerate(posts, start=1):
        assert post.x_cache == "MISS"
        assert (post.json["method"], post.json["body"]) == ("POST", f"n={n}")
    assert len({cached.identity} | {post.identity for post in posts}) == 3


@pytest.mark.parametrize("header", ["Authorization: Bearer abc", "Cookie: session=abc"])
def test_requests_with_credentials_are_not_cached(host, header):
    path = unique("private")
    answers = [request(host, path, headers=[header]) for dummy in range(2)]
    assert [answer.x_cache for answer in answers] == ["MISS", "MISS"]
    assert answers[0].identity != answers[1].identity
    # The backend saw the header: it was passed, not stripped.
    assert header.split(":")[0].lower() in answers[0].json["headers"]


def test_answer_with_set_cookie_is_not_cached(host):
    path = f"/cookie?test={uuid.uuid4().hex}"
    answers = [request(host, path) for dummy in range(2)]
    assert all("set-cookie" in answer.headers for answer in answers)
    assert [answer.x_cache for answer in answers] == ["MISS", "MISS"]
    assert answers[0].identity != answers[1].identity


def test_pass_path_is_not_cached(host):
    path = unique("admin")
    answers = [request(host, path) for dummy in range(2)]
    assert [answer.x_cache for answer in answers] == ["MISS", "MISS"]
    assert answers[0].identity != answers[1].identity


def test_pass_path_covers_whole_segments_only(host):
    # /admin is passed; /administration only shares its first letters and is cached.
    cached_object(host, unique("administration"))


def test_requests_are_spread_over_both_backends(host):
    path = unique("admin")
    seen = {request(host, path).json["backend"] for dummy in range(4)}
    assert seen == BACKENDS


def test_vcl_change_kept_the_cached_object(host):
    before = json.loads(host.file("/root/before-vcl-change.json").content_string)
    after = json.loads(host.file("/root/after-vcl-change.json").content_string)["kept"]
    assert after["x_cache"] == "HIT"
    assert [after["json"]["backend"], after["json"]["served"]] == [before["kept"]["backend"], before["kept"]["served"]]
    # The object cached before the change is delivered by the new VCL.
    assert after["x_vcl_change"] == "applied"


def test_vcl_change_applied_the_new_pass_path(host):
    before = json.loads(host.file("/root/before-vcl-change.json").content_string)
    assert before["fresh_x_cache"] == ["MISS", "HIT"], "/fresh was not cached before the change"
    after = json.loads(host.file("/root/after-vcl-change.json").content_string)["fresh"]
    assert [x_cache for x_cache, answer in after] == ["MISS", "MISS"]
    identities = [(answer["backend"], answer["served"]) for x_cache, answer in after]
    assert identities[0] != identities[1]


def test_the_converged_vcl_is_back(host):
    answer = request(host, "/vcl-change/kept")
    assert answer.x_cache == "HIT"
    assert "x-vcl-change" not in answer.headers
    cached_object(host, unique("fresh"))


@pytest.mark.parametrize("method", ["PURGE", "BAN"])
def test_purge_and_ban_from_outside_the_acl_are_refused(host, method):
    path = unique("refused")
    cached = cached_object(host, path)
    assert request(host, path, method=method).status == 405
    after = request(host, path)
    assert after.x_cache == "HIT"
    assert after.identity == cached.identity


def test_purge_through_a_proxy_is_refused_even_from_the_acl(host, cache):
    path = unique("proxied")
    cached = cached_object(host, path)
    # What nginx on the same host sends: it connects from 127.0.0.1, with X-Forwarded-For.
    refused = from_cache_host(cache, path, method="PURGE", headers=["X-Forwarded-For: 203.0.113.7"])
    assert refused.status == 405
    assert request(host, path).identity == cached.identity


def test_purge_from_the_acl_empties_the_object(host, cache):
    path = unique("purged")
    cached = cached_object(host, path)
    assert from_cache_host(cache, path, method="PURGE").status == 200
    after = request(host, path)
    assert after.x_cache == "MISS"
    assert after.identity != cached.identity


def test_ban_from_the_acl_empties_every_object_under_the_path(host, cache):
    prefix = unique("banned")
    kept = cached_object(host, prefix + "-kept")
    banned = [cached_object(host, f"{prefix}/{name}") for name in ("a", "b")]
    assert from_cache_host(cache, prefix + "/", method="BAN").status == 200
    for name, before in zip(("a", "b"), banned):
        after = request(host, f"{prefix}/{name}")
        assert after.x_cache == "MISS"
        assert after.identity != before.identity
    assert request(host, prefix + "-kept").identity == kept.identity


def director_health(cache):
    """Health of the round-robin director of the active VCL: healthy while one backend is."""
    listing = cache.check_output("varnishadm backend.list webstack_backends")
    return listing.splitlines()[-1].split()[3]


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


# Last in this file: it stops both echo upstreams (and starts them again).
def test_expired_object_is_served_from_grace_while_the_backends_are_down(host, cache):
    path = unique("grace")  # the scenario's VCL gives /grace/ objects a TTL of 2s
    cached = cached_object(host, path)
    fetched = time.monotonic()
    upstreams = [host, cache]
    for upstream in upstreams:
        upstream.check_output("systemctl stop echo-upstream")
    try:
        assert wait_for(lambda: director_health(cache) == "sick"), "the probes never saw the backends go"
        # Past the TTL (2s) and the grace allowed while a backend is healthy (10s).
        time.sleep(max(0.0, fetched + 2 + 10 + 1 - time.monotonic()))
        for dummy in range(2):
            stale = request(host, path)
            assert (stale.status, stale.x_cache) == (200, "HIT")
            assert stale.identity == cached.identity
        # An object that is not in the cache cannot be fetched: the backends are really down.
        assert request(host, unique("grace")).status == 503
    finally:
        for upstream in upstreams:
            upstream.run("systemctl start echo-upstream")
    assert wait_for(lambda: director_health(cache) == "healthy"), "the backends did not come back"
    # With a healthy backend, an object expired longer ago than 10s is fetched again.
    assert request(host, path).x_cache == "MISS"
