"""MariaDB balanced in TCP mode, health-checked by logging in with the passwordless check user."""

from conftest import LB, other_host, server_stats, wait_for_status

testinfra_hosts = ["ansible://haproxy-lb"]

QUERY = f"mariadb -h {LB} -P 3306 -u test -ptest-password -N -B -e 'select @@hostname'"


def hostnames(host, count):
    return [host.check_output(QUERY) for dummy in range(count)]


def test_queries_alternate_between_the_databases(host):
    seen = hostnames(host, 6)
    assert set(seen) == {"haproxy-app1", "haproxy-app2"}
    assert all(a != b for a, b in zip(seen, seen[1:])), seen


def test_both_databases_pass_the_mysql_check(host):
    stats = server_stats(host, "mariadb")
    assert set(stats) == {"haproxy-app1", "haproxy-app2"}
    for server, row in stats.items():
        assert row["status"] == "UP", (server, row["status"])
        # L7OK: haproxy logged in as the check user; a bare TCP check would say L4OK.
        assert row["check_status"] == "L7OK", (server, row["check_status"], row["check_desc"])


def test_a_stopped_database_is_marked_down_and_queries_go_to_the_other(host):
    app1 = other_host(host, "haproxy-app1")
    try:
        app1.check_output("systemctl stop mariadb")
        wait_for_status(host, "mariadb", "haproxy-app1", "DOWN")
        assert set(hostnames(host, 4)) == {"haproxy-app2"}
    finally:
        app1.run("systemctl start mariadb")
    wait_for_status(host, "mariadb", "haproxy-app1", "UP")
