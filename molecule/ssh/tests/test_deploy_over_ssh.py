"""playbooks/deploy.yml over SSH: stage-web1 and stage-web2 are drained one after the other in
stage-web1's haproxy through its admin socket (delegate_to over SSH), updated, and put back; the
backoffice, alone in its pool, reloads in place. No request fails meanwhile."""

import re

from conftest import BACKOFFICE_SITE, WEB1, WEB2, ansible_playbook, request, uncached_get
from request_stream import RequestStream


def test_a_rolling_deploy_over_ssh_fails_no_request():
    release = "2"
    with RequestStream(uncached_get) as shop, RequestStream(
            lambda: request("GET", "/", host=BACKOFFICE_SITE), pause=0.2) as backoffice:
        result = ansible_playbook("deploy.yml", "-e", f"shop_release={release}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Each backend drained and put back in the pool "shop" of stage-web1's haproxy, by a task delegated
    # there: over SSH for stage-web2 (the line shows "-> stage-web1"), on itself for stage-web1.
    for server in (WEB1, WEB2):
        delegated = rf"(?: -> {WEB1}[^\]]*)?" if server == WEB1 else rf" -> {WEB1}[^\]]*"
        for task in ("Drain this server in the frontends' haproxy",
                     "Put the server back once haproxy's health check sees it up"):
            sections = [part.split("TASK [")[0] for part in output.split(f"TASK [{task}]")[1:]]
            line = rf"changed: \[{server}{delegated}\] => \(item={WEB1} shop/{server}\)"
            assert any(re.search(line, section) for section in sections), f"{task}: {server}\n" + "".join(sections)
    assert shop.failures == [] and backoffice.failures == []
    assert {answer.headers["release"] for answer in shop.answers} == {"1", release}
    after = [uncached_get() for dummy in range(4)]
    assert {answer.headers["backend"] for answer in after} == {WEB1, WEB2}
    assert {answer.headers["release"] for answer in after} == {release}
    office = request("GET", "/", host=BACKOFFICE_SITE)
    assert (office.headers["backend"], office.headers["release"]) == (WEB1, release)
