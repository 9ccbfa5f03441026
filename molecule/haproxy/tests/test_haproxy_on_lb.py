"""What the role left on the balancer, and what the side effect's reloads did."""

import json
import uuid

from conftest import ADMIN_SOCKET, LB, wait_until
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://haproxy-lb"]

CONFIG = "/etc/haproxy/haproxy.cfg"


def master_pid(host):
    return host.check_output("systemctl show --property=MainPID --value haproxy")


def test_haproxy_runs_in_master_worker_mode_with_a_valid_configuration(host):
    assert host.service("haproxy").is_running
    assert host.service("haproxy").is_enabled
    assert host.run(f"haproxy -c -q -f {CONFIG}").rc == 0
    assert "-Ws" in host.check_output(f"ps -o args= -p {master_pid(host)}")
    assert host.check_output(f"pgrep --parent {master_pid(host)}")


def test_files_holding_the_configuration_are_not_world_readable(host):
    for path in (CONFIG, "/etc/haproxy/stats-auth.acl"):
        config = host.file(path)
        assert (config.user, config.group, config.mode) == ("root", "haproxy", 0o640), path


def test_stats_password_stays_out_of_haproxy_cfg(host):
    config = host.file(CONFIG).content_string
    assert "correct horse" not in config
    assert "-f /etc/haproxy/stats-auth.acl" in config


def test_admin_socket_is_for_root_and_group_haproxy(host):
    socket = host.file(ADMIN_SOCKET)
    assert socket.is_socket
    assert (socket.user, socket.group, socket.mode) == ("root", "haproxy", 0o660)


def test_requests_are_logged_to_the_journal(host):
    marker = f"/log-probe-{uuid.uuid4().hex}"
    host.check_output(f"curl -fsS -o /dev/null http://{LB}{marker}")

    def logged():
        return marker in host.run("journalctl -u haproxy --no-pager -n 200 -o cat").stdout

    wait_until(logged, timeout=20, message="the request in the journal")
    line = next(line for line in host.check_output("journalctl -u haproxy --no-pager -n 200 -o cat").splitlines()
                if marker in line)
    assert " www app/haproxy-app" in line and " 200 " in line


def test_config_change_was_reloaded_without_restarting_the_master(host):
    pids = json.loads(host.file("/root/haproxy-reload-pids.json").content_string)
    assert pids["master_before"] == pids["master_after"] == master_pid(host)
    assert set(pids["workers_after"]) - set(pids["workers_before"]), "no new worker: not reloaded"
    # The frontend the side effect added answered (the side effect ends with the converged frontends).
    assert pids["alt_frontend_answer"] == "200"


def test_no_request_failed_during_the_reload(host):
    codes = host.file("/root/reload-stream.log").content_string.split()
    assert len(codes) > 20
    assert set(codes) == {"200"}, f"{len([c for c in codes if c != '200'])} of {len(codes)} failed"


def test_broken_configuration_was_refused_and_the_old_one_keeps_serving(host):
    refusal = host.file("/root/broken-config-refusal.txt")
    assert refusal.exists, "the side effect's broken server line was not refused"
    assert "haproxy -c -f /etc/haproxy/haproxy.cfg refused the new files" in refusal.content_string
    assert "no-such-option" in refusal.content_string
    aftermath = json.loads(host.file("/root/broken-config-aftermath.json").content_string)
    # The file the previous, accepted run wrote (with its extra frontend) is back, byte for byte.
    assert aftermath["after"] == aftermath["before"]
    assert aftermath["answers"] == ["200", "200"]
    assert "no-such-option" not in host.file(CONFIG).content_string


def test_the_converged_frontends_are_back(host):
    assert "frontend www-alt" not in host.file(CONFIG).content_string
    assert host.check_output(f"curl -fsS -o /dev/null -w '%{{http_code}}' http://{LB}/") == "200"
    assert host.run(f"curl -sS --max-time 5 -o /dev/null http://{LB}:8081/").rc == 7


def test_hand_edits_are_put_back_by_the_next_run_and_the_service_reloaded(host):
    assert_drift_repaired(host, "haproxy")
