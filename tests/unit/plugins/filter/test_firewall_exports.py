"""Where the service roles leave their firewall rules: the entries they write and the path their rebuild
condition compares, from one place."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.scalable.webstack.plugins.filter.firehol import (
    firewall_export_entries,
    firewall_export_path,
)

RULE = {"name": "app", "service": "tcp/8000", "sources": ["frontends"]}


def test_the_path_a_condition_compares_is_the_file_the_entries_write():
    (written,) = firewall_export_entries([RULE], "uwsgi_emperor")["files"]
    assert written["dest"] == firewall_export_path("uwsgi_emperor") == \
        "/etc/scalable-webstack/firewall.d/uwsgi_emperor.json"


@pytest.mark.parametrize("role", ["../etc/passwd", "my role", ""])
def test_a_role_name_that_is_not_a_file_name_is_refused(role):
    with pytest.raises(AnsibleFilterError, match="letters, digits and underscores"):
        firewall_export_path(role)
    with pytest.raises(AnsibleFilterError, match="letters, digits and underscores"):
        firewall_export_entries([RULE], role)
