"""playbooks/deploy.yml rolls a new release out one app server at a time under a stream of requests."""

import os
import subprocess

from conftest import BACKEND1, BACKEND2, BACKOFFICE, BACKOFFICE_HOST, RequestStream, request, uncached_get

testinfra_hosts = ["ansible://demo-lb1"]


def deploy(project_dir, *extra_args):
    """deploy.yml with the inventory and ansible.cfg Molecule wrote for this scenario."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(project_dir, ".cache", "collections"))
    return subprocess.run(
        ["ansible-playbook", "-i", os.path.join(ephemeral, "inventory"),
         os.path.join(project_dir, "playbooks", "deploy.yml"), *extra_args],
        capture_output=True, text=True, check=False, cwd=project_dir, env=env)


def test_a_rolling_deploy_fails_no_request(host, project_dir):
    release = "2"
    with RequestStream(uncached_get) as shop, RequestStream(
            lambda: request("GET", "/", host=BACKOFFICE_HOST), pause=0.1) as backoffice:
        result = deploy(project_dir, "-e", f"shop_release={release}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Drain this server" in result.stdout
    assert shop.failures == [] and backoffice.failures == []
    releases = {answer.headers["release"] for answer in shop.answers}
    assert releases == {"1", release}, "the stream should see the old and then the new release"
    after = [uncached_get() for dummy in range(4)]
    assert {answer.headers["backend"] for answer in after} == {BACKEND1, BACKEND2}
    assert {answer.headers["release"] for answer in after} == {release}
    office = request("GET", "/", host=BACKOFFICE_HOST)
    assert (office.headers["backend"], office.headers["release"]) == (BACKOFFICE, release)
    assert len(shop.answers) > 100
