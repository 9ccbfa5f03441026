"""From outside: HTTPS through nginx -> varnish -> haproxy -> uWSGI on the backends."""

from conftest import BACKEND1, BACKEND2, BACKOFFICE, BACKOFFICE_HOST, request, uncached_get, unique

testinfra_hosts = ["ansible://demo-lb1"]


def test_the_api_answers_json_over_https(host):
    answer = request("GET", "/products/")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert isinstance(answer.json(), list)


def test_a_repeated_get_is_a_cache_hit(host):
    path = f"/?{unique()}"
    first, second = request("GET", path), request("GET", path)
    assert (first.status, second.status) == (200, 200)
    assert first.headers["x-cache"] == "MISS"
    assert second.headers["x-cache"] == "HIT"
    assert second.body == first.body


def test_uncached_requests_are_shared_evenly_by_the_backends(host):
    # Round robin, give or take the health checks varnish sends through the same pool now and then.
    backends = [uncached_get().headers["backend"] for dummy in range(40)]
    shares = {backend: backends.count(backend) for backend in (BACKEND1, BACKEND2)}
    assert set(backends) == {BACKEND1, BACKEND2}
    assert min(shares.values()) >= 15, shares


def test_the_backoffice_is_served_and_never_cached(host):
    answers = [request("GET", "/", host=BACKOFFICE_HOST) for dummy in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert all(answer.headers["backend"] == BACKOFFICE for answer in answers)
    assert all(answer.headers["x-cache"] == "MISS" for answer in answers)
    assert "<html" in answers[0].body.lower()


def test_plain_http_is_redirected_to_https(host):
    answer = request("GET", "/products/", scheme="http")
    assert answer.status == 301
    assert answer.headers["location"].startswith("https://")
