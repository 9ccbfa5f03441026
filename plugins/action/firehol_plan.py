# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of scalable.webstack.firehol_plan: what scalable.webstack.firehol needs from the host and the
checks before anything changes, in one task. Reads SSH_CONNECTION and the exported rules in one command,
checks every rule, looks up with scalable.webstack.resolve only the hosts the inventory gives no address
for, builds the statements of firehol.conf and refuses rules that name a host without an address or would
lock the operator out."""

from __future__ import annotations

import json
import re
import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.scalable.webstack.plugins.filter.firehol import firehol_check, firehol_statements
from ansible_collections.scalable.webstack.plugins.plugin_utils import _firewall_exports

RESOLVE = "scalable.webstack.resolve"
CONTAINER = re.compile(r"docker|podman|lxc|lxd|incus")
OVER_SSH = re.compile(r"(^|[.])(ssh|paramiko|paramiko_ssh|smart)$")
ARGUMENT_SPEC = dict(
    layers=dict(type="dict", required=True),
    exports_dir=dict(type="str", default=_firewall_exports.EXPORTS_DIR),
    ssh_port=dict(type="raw", default=22),
    ssh_from_controller=dict(type="raw", default=True),
    admin_networks=dict(type="list", elements="raw", default=[]),
    facts=dict(type="dict", default={}),
)


def read_command(exports_dir: str) -> str:
    """One round trip: SSH_CONNECTION of the login session on the first line (empty through docker exec
    and the like), then one line per role that left its rules in exports_dir."""
    return "printf '%%s\\n' \"${SSH_CONNECTION:-}\"; cat %s/*.json 2>/dev/null; true" % shlex.quote(exports_dir)


def parse_read(stdout: str) -> tuple[str, dict]:
    """SSH_CONNECTION and the exported rules by role, from what read_command printed."""
    lines = stdout.splitlines()
    exports = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        try:
            export = json.loads(line)
            exports[export["role"]] = export["rules"]
        except (ValueError, TypeError, KeyError) as error:
            raise AnsibleActionFail("A file of the exported rules holds %r, not the JSON of a role's rules: %s"
                                    % (line, error))
    return (lines[0] if lines else ""), exports


def unresolved_message(unresolved: list, inventory_hostname: str) -> str:
    return ("Refused, nothing was changed: no address for %s: no facts gathered in this run, ansible_host is not "
            "an address, and %s cannot resolve the name. Gather facts for them first (a play on all hosts with "
            "ansible.builtin.setup), or set ansible_host to their address."
            % (", ".join(unresolved), inventory_hostname))


def lockout_problems(statements: dict, ssh_port, from_controller, reached_over_ssh: bool) -> list[bool]:
    """The four ways the rules lock the operator out: no SSH path, another port than the connection's, the
    controller's address unknown over SSH, the connection's interface outside every interface block."""
    connection = statements["connection"]
    return [
        not statements["ssh_paths"],
        bool(connection["over_ssh"] and connection["local_port"] != int(ssh_port)),
        bool(not connection["over_ssh"] and reached_over_ssh and from_controller),
        not connection["interface_covered"],
    ]


def lockout_message(problems: list[bool], statements: dict, inventory_hostname: str, ssh_port, from_controller,
                    admin_networks: list, ansible_connection: str) -> str:
    """Word for word what the role's assert said, spaces included."""
    connection = statements["connection"]
    if from_controller:
        controller = ", ".join(connection["controller_addresses"]) or "not known for this connection"
    else:
        controller = "off: firehol_ssh_from_controller is false"
    texts = [
        "They leave no SSH path: SSH (tcp/%s) opens to the Ansible controller (%s) and to firehol_admin_networks"
        " (%s), and no other rule accepts it. Set firehol_admin_networks."
        % (ssh_port, controller, ", ".join(str(network) for network in admin_networks) or "empty"),
        "The Ansible connection arrives on port %s, not on firehol_ssh_port (%s)."
        % (connection["local_port"], ssh_port),
        "Ansible reaches it over SSH (%s), yet SSH_CONNECTION was empty in the login session (a become or a login "
        "wrapper that drops it?): the controller's address is unknown, so its next SSH connection could be dropped."
        % ansible_connection,
        "The Ansible connection arrives through %s, which no device of firehol_interfaces covers."
        % connection["interface"],
    ]
    # The assert's folded message: each condition's text between spaces, the four joined by a space.
    return ("Refused, nothing was changed: these rules would lock the operator out of %s. " % inventory_hostname
            + " ".join(" %s " % text if problem else "" for problem, text in zip(problems, texts)))


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        result["changed"] = False
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            result.update(self._plan(args, task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _plan(self, args: dict, task_vars: dict) -> dict:
        hostname = task_vars.get("inventory_hostname", "")
        ansible_connection = to_text(self._templar.template(task_vars.get("ansible_connection", "ssh")))

        # As the login user, never through become: sudo drops SSH_CONNECTION (the rules are world-readable).
        # sudoable=False rather than the become keyword, since an inventory's ansible_become wins over that
        # keyword: with it, sudo ran here over SSH, the controller's address was lost and new SSH connections
        # from it were dropped (the project's SSH scenario shows it). ActionBase wraps a command in become only
        # when it is sudoable. Runs in check mode too: it only reads.
        read = self._low_level_execute_command(read_command(args["exports_dir"]), sudoable=False)
        if read["rc"] != 0:
            raise AnsibleActionFail("Could not read SSH_CONNECTION and the exported rules on %s (rc %s): %s"
                                    % (hostname, read["rc"], read["stderr"]))
        ssh_connection, exports = parse_read(read["stdout"])

        layers = dict(args["layers"], exported_rules=exports)
        hostvars = task_vars["hostvars"]
        checked = firehol_check(layers, task_vars.get("groups") or {}, hostvars)
        # A refusal returns its message alone, as the fail and assert tasks did: the task's output stays short.
        if checked["errors"]:
            return dict(failed=True, msg="Refused, nothing was changed on %s: %s"
                        % (hostname, "; ".join(checked["errors"])))

        # The name each host without an address is looked up by: its ansible_host, else its inventory name.
        lookup_names = {host: to_text(hostvars[host].get("ansible_host", host)) for host in checked["to_look_up"]}
        looked_up = {}
        if lookup_names:
            found = self._execute_module(RESOLVE, task_vars=task_vars, module_args=dict(
                names=list(dict.fromkeys(lookup_names.values())), fail_on_unresolved=False))
            if found.get("failed"):
                return found
            looked_up = {host: found.get("addresses", {}).get(name, []) for host, name in lookup_names.items()}

        statements = firehol_statements(checked, looked_up, dict(
            port=args["ssh_port"], from_controller=args["ssh_from_controller"], admin_networks=args["admin_networks"],
            ssh_connection=ssh_connection, facts=args["facts"],
            container=bool(CONTAINER.search(ansible_connection))))
        if statements["unresolved"]:
            return dict(failed=True, msg=unresolved_message(statements["unresolved"], hostname))
        problems = lockout_problems(statements, args["ssh_port"], args["ssh_from_controller"],
                                    bool(OVER_SSH.search(ansible_connection)))
        if any(problems):
            return dict(failed=True, msg=lockout_message(
                problems, statements, hostname, args["ssh_port"], args["ssh_from_controller"],
                args["admin_networks"], ansible_connection))
        return dict(exports=exports, checked=checked, statements=statements)
