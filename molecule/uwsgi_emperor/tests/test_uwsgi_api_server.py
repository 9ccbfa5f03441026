"""The side effect on uwsgi-api: shop_legacy removed; shop_broken reported next to a working shop_api, then removed."""

import pytest

from conftest import http
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://uwsgi-api"]

VASSALS_DIR = "/etc/uwsgi-emperor/vassals"


def test_the_removed_app_left_nothing_behind(host):
    for path in (f"{VASSALS_DIR}/shop_legacy.ini", "/opt/shop_legacy", "/var/log/uwsgi/app/shop_legacy.log"):
        assert not host.file(path).exists, path
    assert host.run("pgrep --full '^shop_legacy uWSGI '").rc == 1
    assert host.user("www-data").exists  # not created by the role, so not removed either


def test_the_removed_broken_app_took_its_user_along(host):
    for path in (f"{VASSALS_DIR}/shop_broken.ini", "/opt/shop_broken", "/var/log/uwsgi/app/shop_broken.log"):
        assert not host.file(path).exists, path
    assert not host.user("shop_broken").exists
    assert not host.group("shop_broken").exists


@pytest.mark.parametrize("run", ["first", "second"])
def test_the_broken_app_was_reported_with_its_log(host, run):
    # The second run changed nothing: it failed because the first run's failed check was remembered.
    report = host.file(f"/root/broken-app-report-{run}.txt")
    assert report.exists, f"the {run} run with the broken app did not fail the play"
    text = report.content_string
    assert "shop_broken did not come up: the vassal gave up: no app loaded. GAME OVER" in text
    assert "ModuleNotFoundError: No module named 'module_that_is_not_installed'" in text
    # shop_api, on the same host, answered right after the failure, shop_broken crash-looping.
    assert text.startswith("shop_api health: 200 ok\n")


def test_the_other_app_still_serves(host):
    assert http(host, "http://127.0.0.1:8080/health").status == 200
    assert http(host, "http://127.0.0.1:8080/").json()["version"] == "2.0"


def test_hand_edits_are_put_back_by_the_next_run_and_the_app_reloaded(host):
    assert_drift_repaired(host, "uwsgi_emperor")
