"""The consuming team's stack, checked from the probe (a client outside the lb and app groups): httpbin and
their own app through nginx -> varnish -> haproxy -> uWSGI, a trustworthy client address, nothing cached
that did not ask to be, the app ports open to the balancer only, and one package set on both app servers."""

from __future__ import annotations

import json
import shlex

import pytest
import testinfra

testinfra_hosts = ["ansible://consumer-probe"]


@pytest.fixture(scope="module")
def other(request):
    def get(name):
        return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.option.ansible_inventory)
    return get


def fetch(host, url, *headers, timeout=10):
    options = " ".join("-H %s" % shlex.quote(header) for header in headers)
    command = "curl -sk --max-time %d -o /dev/stdout -w '\\n%%{http_code}' %s %s" % (timeout, options, shlex.quote(url))
    body, dummy, status = host.check_output(command).rpartition("\n")
    return int(status), body


def address_of(host):
    return host.check_output("hostname -I").split()[0]


def test_httpbin_from_pypi_answers_through_the_chain(host):
    status, body = fetch(host, "https://consumer-lb/get")
    assert status == 200 and json.loads(body)["url"].endswith("/get")


def test_the_team_s_own_app_answers_through_the_chain(host):
    status, body = fetch(host, "https://consumer-lb/hello")
    assert status == 200 and body.startswith("hello from")


def test_a_forged_forwarded_for_is_dropped_and_the_client_address_is_the_peer(host):
    # show_env: httpbin hides the proxies' headers otherwise.
    status, body = fetch(host, "https://consumer-lb/headers?show_env=1", "X-Forwarded-For: 10.9.9.9")
    headers = json.loads(body)["headers"]
    assert headers["X-Forwarded-For"].split(",")[0].strip() == address_of(host)
    assert "10.9.9.9" not in headers["X-Forwarded-For"]
    assert headers["X-Real-Ip"] == address_of(host)


def test_an_answer_that_says_nothing_about_caching_is_neither_cached_nor_shared(host):
    answers = [fetch(host, "https://consumer-lb/headers", "X-Client: %s" % name) for name in ("alice", "bob")]
    assert [json.loads(body)["headers"]["X-Client"] for status, body in answers] == ["alice", "bob"]
    assert "x-cache: miss" in host.check_output("curl -sk -D - -o /dev/null https://consumer-lb/headers").lower()


@pytest.mark.parametrize("port", [8080, 8081])
def test_the_app_ports_answer_the_balancer_and_drop_anyone_else(host, other, port):
    app = other("consumer-app1")
    assert app.socket("tcp://0.0.0.0:%d" % port).is_listening
    assert other("consumer-lb").run("curl -s --max-time 5 -o /dev/null http://consumer-app1:%d/" % port).rc == 0
    # curl's exit code 28: timed out, the firewall dropped the SYN (a closed port would refuse at once).
    assert host.run("curl -s --max-time 3 -o /dev/null http://consumer-app1:%d/" % port).rc == 28


def test_varnish_is_not_reachable_from_outside(host, other):
    assert other("consumer-lb").socket("tcp://0.0.0.0:6081").is_listening
    assert host.run("curl -s --max-time 3 -o /dev/null http://consumer-lb:6081/").rc == 28


def test_the_app_rules_reached_the_firewall_though_firehol_ran_first(other):
    app = other("consumer-app1")
    export = json.loads(app.file("/etc/scalable-webstack/firewall.d/uwsgi_emperor.json").content_string)
    assert {rule["service"] for rule in export["rules"]} == {"tcp/8080", "tcp/8081"}
    assert "uwsgi_8080: tcp/8080 from lb" in app.file("/etc/firehol/firehol.conf").content_string


def test_both_app_servers_run_the_package_set_the_first_resolved(other):
    locks = [other(name).file("/opt/httpbin/requirements.lock").content_string
             for name in ("consumer-app1", "consumer-app2")]
    assert locks[0] == locks[1] and "httpbin==0.10.4" in locks[0]
    freezes = [other(name).check_output("/opt/httpbin/venv/bin/pip freeze --disable-pip-version-check")
               for name in ("consumer-app1", "consumer-app2")]
    assert freezes[0] == freezes[1]
