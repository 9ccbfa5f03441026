"""The file_like test, on entries as file_state returns them."""

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleError

from ansible_collections.scalable.webstack.plugins.test.file_like import file_like

ENTRY = {"exists": True, "type": "file", "mode": "0640", "owner": "root", "group": "app", "size": 6,
         "checksum": hashlib.sha1(b"hello\n").hexdigest()}


def test_an_entry_with_every_given_attribute_is_like():
    assert file_like(ENTRY, type="file", owner="root", group="app", mode="0640", content="hello\n")
    assert file_like(ENTRY, mode="640") and file_like(ENTRY, mode=0o640)
    assert file_like({k: v for k, v in ENTRY.items() if k != "exists"}, type="file")


@pytest.mark.parametrize("attributes", [
    {"type": "directory"}, {"owner": "app"}, {"group": "root"}, {"mode": "0644"}, {"content": "hello"},
    {"checksum": "0" * 40},
])
def test_one_differing_attribute_is_enough_to_differ(attributes):
    assert not file_like(ENTRY, **attributes)


def test_a_missing_path_or_an_entry_without_checksum_is_not_like():
    assert not file_like({"exists": False}, type="file")
    assert not file_like({k: v for k, v in ENTRY.items() if k != "checksum"}, content="hello\n")


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleError, match="not octal"):
        file_like(ENTRY, mode="rw-r-----")
    with pytest.raises(AnsibleError, match="tests an entry"):
        file_like("/etc/passwd", type="file")
