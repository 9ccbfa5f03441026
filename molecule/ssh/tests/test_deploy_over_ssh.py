"""playbooks/deploy.yml over SSH: stage-web1 and stage-web2 are drained one after the other in
stage-web1's haproxy through its admin socket (delegate_to over SSH), updated, and put back; the
backoffice, alone in its pool, reloads in place. No request fails meanwhile."""

from conftest import BACKOFFICE_SITE, WEB1, WEB2, RequestStream, ansible_playbook, request, uncached_get


def test_a_rolling_deploy_over_ssh_fails_no_request():
    release = "2"
    with RequestStream(uncached_get) as shop, RequestStream(
            lambda: request("GET", "/", host=BACKOFFICE_SITE), pause=0.2) as backoffice:
        result = ansible_playbook("deploy.yml", "-e", f"shop_release={release}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Each backend drained and put back in stage-web1's haproxy, by a task delegated there over SSH.
    for server in (WEB1, WEB2):
        for task in ("Drain this server in the frontends' haproxy",
                     "Put the server back once haproxy's health check sees it up"):
            section = output.split(f"TASK [{task}]")
            assert any(f"changed: [{server} -> {WEB1}" in part.split("TASK [")[0] for part in section[1:]), \
                f"{task} for {server}"
    assert shop.failures == [] and backoffice.failures == []
    assert {answer.headers["release"] for answer in shop.answers} == {"1", release}
    after = [uncached_get() for dummy in range(4)]
    assert {answer.headers["backend"] for answer in after} == {WEB1, WEB2}
    assert {answer.headers["release"] for answer in after} == {release}
    office = request("GET", "/", host=BACKOFFICE_SITE)
    assert (office.headers["backend"], office.headers["release"]) == (WEB1, release)
