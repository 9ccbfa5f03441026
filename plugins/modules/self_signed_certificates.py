#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: self_signed_certificates
short_description: Keep self-signed certificates and their keys for test environments, in one run
version_added: 0.2.0
description:
  - Makes each listed certificate a valid self-signed certificate for its names, signed by its own key, and
    decides by itself what changed. A pair is made again only when a file is missing or unreadable, the key does
    not match the certificate, the names differ, or the certificate expires within O(renew_days).
  - Keys are ECDSA P-256, written mode 0600; certificates mode 0644. Meant for staging and demos; production
    certificates come from a CA.
author:
  - scalable.webstack maintainers (@scalable-webstack)
requirements:
  - cryptography >= 3.1 on the host (Debian's python3-cryptography)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The names and expiry of each certificate before and after.
options:
  certificates:
    description: The pairs.
    type: list
    elements: dict
    required: true
    suboptions:
      certificate_path:
        description: Where the certificate goes (PEM).
        type: path
        required: true
      key_path:
        description: Where its private key goes (PEM, unencrypted).
        type: path
        required: true
      common_name:
        description: Subject common name.
        type: str
        required: true
      subject_alt_names:
        description: DNS names of the certificate.
        type: list
        elements: str
        default: []
  days:
    description: Validity of a new certificate.
    type: int
    default: 825
  renew_days:
    description: Make a certificate again when it expires within this many days.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: A self-signed pair for the staging site
  scalable.webstack.self_signed_certificates:
    certificates:
      - certificate_path: /etc/nginx/tls/shop.crt
        key_path: /etc/nginx/tls/shop.key
        common_name: shop.staging.example.com
        subject_alt_names: [shop.staging.example.com, backoffice.staging.example.com]
"""

RETURN = r"""
changed_paths:
  description: The certificates (and keys) made again.
  returned: always
  type: list
  elements: str
  sample: [/etc/nginx/tls/shop.crt, /etc/nginx/tls/shop.key]
reasons:
  description: Why each certificate was made again, by certificate path.
  returned: always
  type: dict
  sample: {/etc/nginx/tls/shop.crt: names differ}
"""

import datetime
import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError:
    x509 = None
    CRYPTOGRAPHY_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_ERROR = None


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def not_after(certificate) -> datetime.datetime:
    if hasattr(certificate, "not_valid_after_utc"):
        return certificate.not_valid_after_utc
    return certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def read_pair(pair: dict):
    """The key and certificate found, or None for each one missing or unreadable."""
    key = certificate = None
    try:
        with open(pair["key_path"], "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError, TypeError):
        key = None
    try:
        with open(pair["certificate_path"], "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError):
        certificate = None
    return key, certificate


def names_of(certificate) -> tuple[str, list[str]]:
    common = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns = alternative.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    return (common[0].value if common else ""), sorted(dns)


def public_bytes(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def reason_to_renew(pair: dict, key, certificate, renew_days: int) -> str | None:
    if key is None:
        return "no readable key"
    if certificate is None:
        return "no readable certificate"
    if public_bytes(key) != certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        return "the key does not match the certificate"
    if names_of(certificate) != (pair["common_name"], sorted(pair["subject_alt_names"])):
        return "names differ"
    if not_after(certificate) - now() < datetime.timedelta(days=renew_days):
        return "expires within %d days" % renew_days
    return None


def write_atomically(path: str, data: bytes, mode: int) -> None:
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o750)
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.rename(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def make_pair(pair: dict, days: int) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pair["common_name"])])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now() - datetime.timedelta(minutes=5))
               .not_valid_after(now() + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if pair["subject_alt_names"]:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in pair["subject_alt_names"]]), critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    write_atomically(pair["key_path"], key_pem, 0o600)
    write_atomically(pair["certificate_path"], certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            certificates=dict(type="list", elements="dict", required=True, options=dict(
                certificate_path=dict(type="path", required=True),
                key_path=dict(type="path", required=True),
                common_name=dict(type="str", required=True),
                subject_alt_names=dict(type="list", elements="str", default=[]),
            )),
            days=dict(type="int", default=825),
            renew_days=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    if x509 is None:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_ERROR)
    if module.params["renew_days"] >= module.params["days"]:
        module.fail_json(msg="renew_days (%d) must be less than days (%d)"
                         % (module.params["renew_days"], module.params["days"]))
    changed_paths, reasons, before, after = [], {}, {}, {}
    for pair in module.params["certificates"]:
        key, certificate = read_pair(pair)
        reason = reason_to_renew(pair, key, certificate, module.params["renew_days"])
        if reason is None:
            continue
        path = pair["certificate_path"]
        reasons[path] = reason
        changed_paths += [path, pair["key_path"]]
        before[path] = dict(zip(("common_name", "subject_alt_names"), names_of(certificate))) if certificate else {}
        after[path] = dict(common_name=pair["common_name"], subject_alt_names=sorted(pair["subject_alt_names"]))
        if not module.check_mode:
            make_pair(pair, module.params["days"])
    result = dict(changed=bool(changed_paths), changed_paths=changed_paths, reasons=reasons)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
