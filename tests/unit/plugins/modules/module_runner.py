"""Run a module's main() as Ansible would, and read what it printed."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args


def run_module(module, capsys, **args):
    """The exit code and the JSON result of module.main() with these arguments."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)
