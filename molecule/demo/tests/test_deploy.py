"""playbooks/deploy.yml rolls a release out one app server at a time, under two streams of requests, while
a sampler on the frontend records haproxy's state of each server and what each server's app answers:
each server is drained before its uWSGI reloads, gets no request while drained, and is back up before the
next one starts. A release that cannot start stops the deploy with its server out of the pool."""

import json
from pathlib import Path

import yaml

from conftest import (BACKEND1, BACKEND2, BACKOFFICE, BACKOFFICE_HOST, HaproxySampler, haproxy_servers, is_drained, is_up,
                      playbook, request, uncached_get)
from request_stream import RequestStream

testinfra_hosts = ["ansible://demo-lb1"]
SHOP = [BACKEND1, BACKEND2]


def deploy(project_dir, release, **extra_vars):
    return playbook(project_dir, "deploy.yml", "-e", json.dumps({"shop_release": release, **extra_vars}))


def failure(result):
    # The failed tasks are on stderr (display_failed_stderr), from their first "fatal:" on.
    fatal = result.stderr.find("fatal:")
    return (f"deploy.yml, {result.seconds} s:\n{result.stdout.rpartition('PLAY RECAP')[2][:2000]}\n"
            f"{result.stderr[max(fatal, 0):][:4000]}")


def release_of(probe):
    """The release an app answered its health check with ("200 2"), or None (down, failing)."""
    status, dummy, release = probe.partition(" ")
    return release if status == "200" else None


def first_change(samples, server):
    """Index of the first sample where the server's app no longer answers with the release it had at the
    start (reloading, failing, or serving another release)."""
    start = release_of(samples[0].probes[server])
    return next((index for index, sample in enumerate(samples)
                 if release_of(sample.probes[server]) != start), None)


def out_of_pool_span(samples, server):
    """(first, last) index of the samples where haproxy sent the server nothing (drained, in maintenance,
    or down while drained), or None. One span only: a server leaves its pool once per deploy."""
    out = [index for index, sample in enumerate(samples) if not is_up(sample.states[server])]
    if not out:
        return None
    assert out == list(range(out[0], out[-1] + 1)), f"{server} left its pool twice: {out}"
    return out[0], out[-1]


def assert_drained_before_its_reload(samples, server):
    change = first_change(samples, server)
    assert change is not None, f"{server}'s app never changed: {samples[0].probes[server]}"
    span = out_of_pool_span(samples, server)
    assert span, f"{server} never left its pool; its app changed at {samples[change]}"
    # The last round that still saw the old app had read the server as drained (DRAIN or MAINT) in haproxy.
    assert span[0] < change <= span[1] + 1 and is_drained(samples[change - 1].states[server]), (
        f"{server} reloaded outside a drain: {samples[span[0]]} ... {samples[change - 1]} / {samples[change]}")
    return span


def assert_no_answer_while_drained(streams, samples, server, span):
    # Sent once haproxy showed the server drained, answered before the last round that still showed it so.
    drained_from, drained_until = samples[span[0]].done, samples[span[1]].t
    leaks = [answer for stream in streams for answer in stream.answers
             if drained_from < answer.sent and answer.received < drained_until
             and answer.headers.get("backend") == server]
    assert not leaks, f"{server} answered while drained: {leaks[:5]}"


def test_a_release_that_cannot_start_stops_the_deploy_with_its_server_out_of_the_pool(project_dir):
    previous = uncached_get().headers["release"]
    inventory_vars = yaml.safe_load((Path(project_dir) / "inventories/demo/group_vars/appservers.yml").read_text())
    broken_environment = dict(inventory_vars["shop_environment"], SHOP_STORAGE="none")  # cannot be imported

    with HaproxySampler() as sampler, RequestStream(uncached_get) as shop, RequestStream(
            lambda: request("GET", "/", host=BACKOFFICE_HOST), pause=0.1) as backoffice:
        result = deploy(project_dir, "broken", shop_environment=broken_environment)
    samples = sampler.samples

    assert result.returncode != 0, failure(result)
    # The failure is on stderr (display_failed_stderr).
    output = result.stdout + result.stderr
    assert "shop_api did not come up" in output and "SHOP_STORAGE must be" in output, failure(result)
    span = assert_drained_before_its_reload(samples, BACKEND1)
    assert span[1] == len(samples) - 1, f"{BACKEND1} came back into the pool: {samples[span[1] + 1]}"
    assert haproxy_servers()[("shop", BACKEND1)].startswith("MAINT")
    assert_no_answer_while_drained([shop], samples, BACKEND1, span)
    # The deploy went no further: the others never changed and were never drained.
    for server in (BACKEND2, BACKOFFICE):
        assert first_change(samples, server) is None, f"{server} changed: {samples[first_change(samples, server)]}"
        assert not any(is_drained(sample.states[server]) for sample in samples), f"{server} was drained"
    assert shop.failures == [] and backoffice.failures == []
    after = [uncached_get() for dummy in range(6)]
    assert {(answer.headers["backend"], answer.headers["release"]) for answer in after} == {(BACKEND2, previous)}
    office = request("GET", "/", host=BACKOFFICE_HOST)
    assert (office.headers["backend"], office.headers["release"]) == (BACKOFFICE, previous)


def test_a_rolling_deploy_drains_each_server_before_its_reload_and_fails_no_request(project_dir):
    # Where the previous test left it: backend1 out of the pool with a release that cannot start, which
    # this deploy replaces. backend2 shows the whole drain, from UP.
    previous = uncached_get().headers["release"]
    release = str(int(previous) + 1)  # "2" after site.yml; another one when the tests run again
    with HaproxySampler() as sampler, RequestStream(uncached_get) as shop, RequestStream(
            lambda: request("GET", "/", host=BACKOFFICE_HOST), pause=0.1) as backoffice:
        result = deploy(project_dir, release)
    samples = sampler.samples

    assert result.returncode == 0, failure(result)
    assert shop.failures == [] and backoffice.failures == []
    assert is_up(samples[0].states[BACKEND2]), samples[0]
    spans = {server: assert_drained_before_its_reload(samples, server) for server in SHOP}
    for server, span in spans.items():
        assert_no_answer_while_drained([shop], samples, server, span)
    # One server at a time: each is back UP, serving the new release, before the next one starts (is drained,
    # or, alone in its pool like the backoffice, reloads in place).
    changes = {server: first_change(samples, server) for server in SHOP + [BACKOFFICE]}
    assert None not in changes.values(), changes
    order = sorted(changes, key=changes.get)
    assert order == [BACKEND1, BACKEND2, BACKOFFICE], order
    for server, following in zip(order, order[1:]):
        starts = spans[following][0] if following in spans else changes[following]
        back = [sample for sample in samples[spans[server][1] + 1:starts]
                if is_up(sample.states[server]) and release_of(sample.probes[server]) == release]
        assert back, f"{following} started before {server} was back: {samples[spans[server][1]:starts + 1]}"
    # Alone in its pool, the backoffice reloads in place, never drained.
    assert not any(is_drained(sample.states[BACKOFFICE]) for sample in samples)

    assert {answer.headers["release"] for answer in shop.answers} == {previous, release}
    assert len(shop.answers) > 100
    after = [uncached_get() for dummy in range(6)]
    assert {answer.headers["backend"] for answer in after} == {BACKEND1, BACKEND2}
    assert {answer.headers["release"] for answer in after} == {release}
    office = request("GET", "/", host=BACKOFFICE_HOST)
    assert (office.headers["backend"], office.headers["release"]) == (BACKOFFICE, release)
    assert all(is_up(status) for status in haproxy_servers().values()), haproxy_servers()
