"""What the role left on the app servers, and what the side effect's deploys did there."""

import json

import pytest

from conftest import API, OFFICE

testinfra_hosts = [f"ansible://{API}", f"ansible://{OFFICE}"]

VASSALS_DIR = "/etc/uwsgi-emperor/vassals"
# App -> the user its vassal runs as, per host, as converged (the side effect ends with these apps again).
APPS = {
    API: {"shop_api": "shop_api", "shop_legacy": "www-data"},
    OFFICE: {"shop_admin": "shop_admin", "shop_api": "shop_api"},
}
# What each app's user must read and not change: its code, or its virtualenv for an installed package.
CODE = {
    API: {"shop_api": "/opt/shop_api/src/shop_api.py", "shop_legacy": "/opt/shop_legacy/src/shop_api.py"},
    OFFICE: {"shop_admin": "/opt/shop_admin/src/shop_admin.py", "shop_api": "/opt/shop_api/venv"},
}
PASSWORD = "shop-Secret'1;#%(x)%n $HOME"


@pytest.fixture
def name(host):
    return host.check_output("hostname")


def vassal_pids(host, app):
    """PIDs of the master and workers of one vassal (named "<app> uWSGI master|worker N")."""
    return host.check_output(f"pgrep --full '^{app} uWSGI '").split()


def test_the_emperor_runs_as_root_and_was_never_restarted(host):
    pid = host.check_output("systemctl show --property=MainPID --value uwsgi-emperor")
    assert host.check_output(f"ps -o user= -p {pid}") == "root"
    assert pid == host.file("/root/emperor-pid-before-side-effect.txt").content_string.strip()


def test_only_the_present_apps_have_a_vassal(host, name):
    expected = {f"{app}.ini" for app in APPS[name]}
    assert set(host.check_output(f"ls {VASSALS_DIR}").split()) - {"README"} == expected


def test_each_vassal_runs_as_its_own_user_from_its_own_virtualenv(host, name):
    for app, user in APPS[name].items():
        pids = vassal_pids(host, app)
        assert len(pids) >= 2, f"{app}: master and workers expected, got {pids}"
        assert set(host.check_output(f"ps -o user= -p {','.join(pids)}").split()) == {user}
        # (/proc/<pid>/exe and maps of another user's process need CAP_SYS_PTRACE, which containers lack.)
        assert f"virtualenv = /opt/{app}/venv\n" in host.file(f"{VASSALS_DIR}/{app}.ini").content_string
        starts = host.file(f"/var/log/uwsgi/app/{app}.log").content_string.split("*** Starting uWSGI")
        assert f"Set PythonHome to /opt/{app}/venv\n" in starts[-1], f"{app}: last start not from its virtualenv"


def test_each_user_is_a_system_account_that_cannot_log_in(host, name):
    for user in set(APPS[name].values()):
        account = host.user(user)
        assert account.uid < 1000
        assert account.shell == "/usr/sbin/nologin"


def test_the_app_user_reads_its_code_but_cannot_change_it(host, name):
    for app, user in APPS[name].items():
        code = CODE[name][app]
        assert host.run(f"runuser -u {user} -- test -r {code}").rc == 0
        assert host.run(f"runuser -u {user} -- test -w {code}").rc == 1
        assert host.run(f"runuser -u nobody -- test -r /opt/{app}/app.env").rc == 1


def test_secrets_are_only_in_the_env_file(host, name):
    for app, user in APPS[name].items():
        env_file = host.file(f"/opt/{app}/app.env")
        assert (env_file.user, env_file.group, env_file.mode) == ("root", user, 0o640)
        assert f"SHOP_MARIADB_PASSWORD={PASSWORD}\n" in env_file.content_string
        vassal = host.file(f"{VASSALS_DIR}/{app}.ini")
        assert (vassal.user, vassal.group, vassal.mode) == ("root", user, 0o640)
    leaks = host.run(f"grep -rlF 'shop-Secret' {VASSALS_DIR} /var/log/uwsgi /etc/uwsgi-emperor")
    assert leaks.stdout == ""


def test_the_emperor_stats_list_the_vassals(host, name):
    stats = json.loads(host.check_output(
        "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"/run/uwsgi/emperor-stats.sock\");"
        " print(b\"\".join(iter(lambda: s.recv(65536), b\"\")).decode())'"))
    assert {f"{app}.ini" for app in APPS[name]} <= {vassal["id"] for vassal in stats["vassals"]}


def test_firewall_rules_are_exported_for_each_public_http_port(host, name):
    rules = json.loads(host.file("/root/uwsgi-firewall-rules.json").content_string)
    ports = {API: [8080, 8081], OFFICE: [8080]}[name]  # as converged: shop_legacy on 8081, the unix socket has none
    assert rules == [{"name": f"uwsgi_{port}", "service": f"tcp/{port}", "sources": ["frontends"]} for port in ports]
