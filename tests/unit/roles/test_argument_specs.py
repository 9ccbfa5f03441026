"""Every role's meta/argument_specs.yml documents exactly its defaults/main.yml, with equal values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(path.name for path in (COLLECTION_ROOT / "roles").iterdir() if (path / "defaults").is_dir())


def load(role: str, relative: str) -> dict:
    return yaml.safe_load((COLLECTION_ROOT / "roles" / role / relative).read_text()) or {}


def test_roles_are_found():
    assert ROLES, f"no roles under {COLLECTION_ROOT / 'roles'}"


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_exactly_the_options_documented_with_a_default(role):
    """Options without a default (secrets) must stay out of defaults/ too, so a missing one fails."""
    defaults = load(role, "defaults/main.yml")
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(name for name, spec in options.items() if "default" in spec)


@pytest.mark.parametrize("role", ROLES)
def test_documented_defaults_equal_the_real_ones(role):
    defaults = load(role, "defaults/main.yml")
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    mismatched = {
        name: (options[name].get("default"), value)
        for name, value in defaults.items()
        if name in options and options[name].get("default") != value
    }
    assert not mismatched, "argument_specs default != defaults/main.yml: %r" % mismatched


@pytest.mark.parametrize("role", ROLES)
def test_required_options_have_no_default(role):
    """Secrets and other required values are never given a default, in the spec or in defaults/."""
    defaults = load(role, "defaults/main.yml")
    options = load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    both = [name for name, spec in options.items() if spec.get("required") and ("default" in spec or name in defaults)]
    assert not both, f"required options with a default: {both}"
