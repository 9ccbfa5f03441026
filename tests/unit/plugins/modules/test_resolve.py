"""resolve through this machine's own resolver (/etc/hosts for localhost; .invalid never resolves)."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.scalable.webstack.plugins.modules import resolve as module


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_names_and_addresses_resolve_each_address_once(capsys):
    code, result = run(capsys, names=["localhost", "192.0.2.7", "localhost"])
    assert code == 0 and result["changed"] is False
    assert "127.0.0.1" in result["addresses"]["localhost"]
    assert len(result["addresses"]["localhost"]) == len(set(result["addresses"]["localhost"]))
    assert result["addresses"]["192.0.2.7"] == ["192.0.2.7"]
    assert result["unresolved"] == []


def test_an_unknown_name_fails_the_task_by_name(capsys):
    code, result = run(capsys, names=["localhost", "nowhere.invalid"])
    assert code == 1 and result["msg"] == "no address for nowhere.invalid on this host"


def test_an_unknown_name_can_be_left_to_the_caller(capsys):
    code, result = run(capsys, names=["nowhere.invalid", "localhost"], fail_on_unresolved=False)
    assert code == 0 and result["unresolved"] == ["nowhere.invalid"]
    assert list(result["addresses"]) == ["localhost"]
