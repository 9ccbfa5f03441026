# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login options of the collection's MariaDB modules (connection_argument_spec in module_utils/_mariadb)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_host:
    description: Server to configure. V(localhost) connects through O(login_unix_socket).
    type: str
    default: localhost
  login_port:
    description: Port of the server to configure.
    type: int
    default: 3306
  login_user:
    description: User on the server to configure (root through the unix socket by default).
    type: str
    default: root
  login_password:
    description: Password of O(login_user).
    type: str
  login_unix_socket:
    description: Socket used when O(login_host=localhost).
    type: path
    default: /run/mysqld/mysqld.sock
  login_ssl:
    description: Log in to the server to configure over TLS (for a O(login_host) reached by TCP).
    type: bool
    default: false
  login_ssl_ca:
    description: CA file that signed the server's certificate; the system's CAs when omitted.
    type: path
  login_ssl_cert:
    description: Client certificate for O(login_ssl), for users that C(REQUIRE X509).
    type: path
  login_ssl_key:
    description: Key of O(login_ssl_cert).
    type: path
  login_ssl_verify_server_cert:
    description: With O(login_ssl), check the server's certificate and that it names O(login_host).
    type: bool
    default: true
  connect_timeout:
    description: Seconds to wait for a connection to either server.
    type: int
    default: 10
"""
