"""resolve through this machine's own resolver (/etc/hosts for localhost; .invalid never resolves)."""

from __future__ import annotations

from ansible_collections.scalable.webstack.plugins.modules import resolve as module

from .module_runner import run_module


def run(capsys, **args):
    return run_module(module, capsys, **args)


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
