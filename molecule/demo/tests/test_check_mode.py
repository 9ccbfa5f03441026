"""site.yml on the converged demo, as an operator runs it: in check mode with a diff it reports no change
and fails nothing; with --tags nginx or --tags firewall alone it runs without error and changes nothing."""

import pytest

from conftest import HOSTS, play_recap, playbook


def assert_nothing_changed_or_failed(result):
    output = f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, output
    recap = play_recap(result.stdout)
    assert set(HOSTS) <= set(recap), f"hosts missing from the recap: {set(HOSTS) - set(recap)}\n{output}"
    changed = {host: counts for host, counts in recap.items() if counts["changed"] or counts["failed"]
               or counts["unreachable"]}
    assert not changed, f"{changed}\n{output}"


def test_check_mode_with_diff_reports_no_change(project_dir):
    result = playbook(project_dir, "site.yml", "--check", "--diff")
    assert_nothing_changed_or_failed(result)
    assert "--- before" not in result.stdout, "a diff was shown for a converged host"


@pytest.mark.parametrize("tag", ["nginx", "firewall"])
def test_one_tag_alone_runs_and_changes_nothing(project_dir, tag):
    assert_nothing_changed_or_failed(playbook(project_dir, "site.yml", "--tags", tag))
