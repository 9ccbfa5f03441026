"""The side effect on uwsgi-api: shop_legacy removed (and brought back at the end); shop_broken reported next
to a working shop_api, then removed."""

import json

import pytest

from conftest import http
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://uwsgi-api"]

VASSALS_DIR = "/etc/uwsgi-emperor/vassals"


def after_side_effect(host):
    """What the side effect recorded before it brought the converged apps back."""
    return json.loads(host.file("/root/api-server-after-side-effect.json").content_string)


def test_the_removed_app_left_nothing_behind(host):
    recorded = after_side_effect(host)
    assert recorded["legacy_paths_left"] == []
    assert recorded["legacy_processes"] == []
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
    code, answer = after_side_effect(host)["answers"]["8080"]
    assert code == 0 and json.loads(answer)["version"] == "2.0"
    assert http(host, "http://127.0.0.1:8080/health").status == 200


def test_the_removed_app_came_back_with_the_converged_list(host):
    assert http(host, "http://127.0.0.1:8081/health").status == 200
    assert host.file(f"{VASSALS_DIR}/shop_legacy.ini").exists


def test_hand_edits_are_put_back_by_the_next_run_and_the_app_reloaded(host):
    assert_drift_repaired(host, "uwsgi_emperor")
