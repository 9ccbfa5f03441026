# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options the collection's MongoDB modules share (connection_argument_spec in
module_utils/_mongodb); each module documents login_host and login_user itself."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_port:
    description: Port of O(login_host).
    type: int
    default: 27017
  login_password:
    description: Password of O(login_user).
    type: str
  login_database:
    description: Database that holds O(login_user).
    type: str
    default: admin
  auth_mechanism:
    description: Authentication mechanism; the driver's default (SCRAM-SHA-256, or SCRAM-SHA-1) when not set.
    type: str
    choices: [SCRAM-SHA-256, SCRAM-SHA-1]
  tls:
    description: Connect with TLS.
    type: bool
    default: false
  tls_ca_file:
    description: CA file to verify the members' certificates.
    type: path
  connect_timeout:
    description: Seconds to wait for each connection.
    type: int
    default: 10
"""
