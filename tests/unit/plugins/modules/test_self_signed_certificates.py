"""self_signed_certificates on real files: a pair is made once, kept while it fits, made again when it does not."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.scalable.webstack.plugins.modules import self_signed_certificates as module

from .module_runner import run_module

x509 = pytest.importorskip("cryptography.x509")


def run(capsys, tmp_path, names=("shop.example.com", "backoffice.example.com"), **args):
    pair = dict(certificate_path=str(tmp_path / "tls" / "shop.crt"), key_path=str(tmp_path / "tls" / "shop.key"),
                common_name=names[0], subject_alt_names=list(names))
    return run_module(module, capsys, certificates=[pair], **args)


def names_in(path):
    certificate = x509.load_pem_x509_certificate(open(path, "rb").read())
    return sorted(certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                  .get_values_for_type(x509.DNSName))


def test_a_pair_is_made_once_then_kept(tmp_path, capsys):
    code, result = run(capsys, tmp_path)
    assert code == 0 and result["changed"] and result["reasons"] == {str(tmp_path / "tls" / "shop.crt"): "no readable key"}
    assert stat.S_IMODE(os.stat(tmp_path / "tls" / "shop.key").st_mode) == 0o600
    assert names_in(tmp_path / "tls" / "shop.crt") == ["backoffice.example.com", "shop.example.com"]
    before = (tmp_path / "tls" / "shop.crt").read_bytes()
    code, result = run(capsys, tmp_path)
    assert code == 0 and not result["changed"] and (tmp_path / "tls" / "shop.crt").read_bytes() == before


def test_new_names_a_foreign_key_or_a_near_expiry_make_it_again(tmp_path, capsys):
    run(capsys, tmp_path)
    code, result = run(capsys, tmp_path, names=("shop.example.com",))
    assert result["changed"] and list(result["reasons"].values()) == ["names differ"]
    assert names_in(tmp_path / "tls" / "shop.crt") == ["shop.example.com"]
    other = tmp_path / "other"
    other.mkdir()
    run(capsys, other, names=("shop.example.com",))
    (tmp_path / "tls" / "shop.key").write_bytes((other / "tls" / "shop.key").read_bytes())
    code, result = run(capsys, tmp_path, names=("shop.example.com",))
    assert list(result["reasons"].values()) == ["the key does not match the certificate"]
    code, result = run(capsys, tmp_path, names=("shop.example.com",), renew_days=900, days=1000)
    assert list(result["reasons"].values()) == ["expires within 900 days"]


def test_check_mode_writes_nothing(tmp_path, capsys):
    code, result = run(capsys, tmp_path, _ansible_check_mode=True)
    assert code == 0 and result["changed"] and not (tmp_path / "tls").exists()
