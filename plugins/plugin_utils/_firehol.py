# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of scalable.webstack.firehol, from the role's variables to the statements of firehol.conf.

check() fills in and checks every rule and names what is wrong; statements() maps the inventory groups and
hosts the rules name to addresses and says which SSH paths stay open. Pure functions, on plain data.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import typing as t

# The services FireHOL 3.1.7 defines (Debian 12 and 13: firehol and firehol-common), read from its
# services.common and services.firehol and the rules_* functions of firehol itself.
FIREHOL_SERVICES = frozenset("""
AH ESP GRE ICMP ICMPV6 OSPF all amanda any anystateless apcupsd apcupsdnis aptproxy asterisk cups custom
cvspserver darkstat daytime dcc dcpp dhcp dhcprelay dhcpv6 dict distcc dns echo emule eserver finger ftp gift
giftui gkrellmd h323 heartbeat http httpalt https hylafax iax iax2 icmp icmpv6 icp ident imap imaps ipsecnatt
ipv6error ipv6mld ipv6neigh ipv6router irc isakmp jabber jabberd l2tp ldap ldaps lpd microsoft_ds mms ms_ds msn
msnp multicast mysql netbackup netbios_dgm netbios_ns netbios_ssn nfs nis nntp nntps nrpe ntp nut nxserver openvpn
oracle ping pop3 pop3s portmap postgres pptp privoxy radius radiusold radiusoldproxy radiusproxy rdp rndc rsync rtp
samba sane sip smtp smtps snmp snmptrap socks squid ssh stun submission sunrpc swat syslog telnet tftp time timestamp
tomcat upnp uucp vmware vmwareauth vmwareweb vnc webcache webmin whois xbox xdmcp
""".split())
PORT_SERVICE = re.compile(r"^(tcp|udp)/([0-9]{1,5})(?::([0-9]{1,5}))?$")
BLOCK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
DEVICE = re.compile(r"^[A-Za-z0-9_.:@+-]+( [A-Za-z0-9_.:@+-]+)*$")
PROTECTION_LIMIT = re.compile(r"^$|^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)( [1-9][0-9]*)?$")
ACTIONS = ("accept", "reject", "drop")
LINK_LOCAL = re.compile(r"(?i)^fe[89ab][0-9a-f]:")

SERVER_DEFAULTS = dict(sources=[], networks=[], action="accept", interfaces=[])
CLIENT_DEFAULTS = dict(destinations=[], networks=[], action="accept", interfaces=[])
ROUTE_DEFAULTS = dict(sources=[], networks=[], destinations=[], destination_networks=[], action="accept")
INTERFACE_DEFAULTS = dict(policy="drop", protection="strong")
ROUTER_DEFAULTS = dict(inface="", outface="", routes=[])


def _listed(value: t.Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _hint(name: str, known: t.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=2, cutoff=0.6)
    return " (did you mean %s?)" % " or ".join(close) if close else ""


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


class Checker:
    """Collects what is wrong, each message naming the rule, where it comes from, and the value."""

    def __init__(self, names: t.Iterable[str], custom_services: t.Iterable[str]) -> None:
        self.errors: list[str] = []
        self.names = set(names)
        self.services = FIREHOL_SERVICES | set(custom_services)

    def rule(self, raw: t.Any, origin: str, defaults: dict, keys: tuple[str, ...]) -> dict | None:
        if not isinstance(raw, dict) or "name" not in raw or "service" not in raw:
            self.errors.append("%s: every rule is a dict with at least name and service, not %r" % (origin, raw))
            return None
        rule = dict(defaults, **raw)
        rule["origin"] = origin
        label = "rule %r (%s)" % (rule["name"], origin)
        for key in keys:
            rule[key] = [str(item) for item in _listed(rule[key])]
        self.service(str(rule["service"]), label)
        rule["service"] = str(rule["service"])
        if rule["action"] not in ACTIONS:
            self.errors.append("%s: action %r is not one of %s" % (label, rule["action"], ", ".join(ACTIONS)))
        for key in ("networks", "destination_networks"):
            for network in rule.get(key, []):
                if not _is_network(network):
                    self.errors.append("%s: %s entry %r is not an address or network" % (label, key, network))
        for key in ("sources", "destinations"):
            for name in rule.get(key, []):
                if name not in self.names:
                    self.errors.append("%s: %s names %r, which is neither an inventory group nor a host%s"
                                       % (label, key, name, _hint(name, self.names)))
        return rule

    def service(self, service: str, label: str) -> None:
        match = PORT_SERVICE.match(service)
        if match:
            ports = [int(port) for port in match.groups()[1:] if port is not None]
            if any(port < 1 or port > 65535 for port in ports) or (len(ports) == 2 and ports[0] > ports[1]):
                self.errors.append("%s: service %r: ports are 1-65535, a range FROM:TO with FROM <= TO"
                                   % (label, service))
        elif service not in self.services:
            self.errors.append(
                "%s: service %r is neither a firehol service (ssh, http, https, mysql ...; more in "
                "firehol_custom_services) nor tcp/PORT, udp/PORT or tcp/FROM:TO%s"
                % (label, service, _hint(service, self.services)))


def check(layers: dict[str, t.Any], groups: dict[str, list[str]]) -> dict[str, t.Any]:
    """Every rule with its defaults filled in and its origin, the interfaces and routers, and the errors.

    layers holds the role's variables: rules, group_rules, host_rules, dependent_rules, exported_rules
    ({role: rules}), client_rules, routers, interfaces, admin_networks, protection_limit, custom_services,
    group_names (the host's groups) and excluded_hosts (hosts no group stands for any more: retired ones).
    """
    excluded = set(_listed(layers.get("excluded_hosts")))
    if excluded:
        groups = {name: [host for host in hosts if host not in excluded] for name, hosts in groups.items()}
    names = set(groups) | set(groups.get("all", [])) | excluded
    checker = Checker(names, layers.get("custom_services") or [])
    errors = checker.errors
    server_keys, client_keys = ("sources", "networks", "interfaces"), ("destinations", "networks", "interfaces")

    raw: list[tuple[t.Any, str]] = []
    for index, rule in enumerate(_listed(layers.get("rules"))):
        raw.append((rule, "firehol_rules[%d]" % index))
    group_rules = layers.get("group_rules") or {}
    if isinstance(group_rules, dict):
        for group in layers.get("group_names") or []:
            for index, rule in enumerate(_listed(group_rules.get(group))):
                raw.append((rule, "firehol_group_rules.%s[%d]" % (group, index)))
        for group in group_rules:
            if group not in groups:
                errors.append("firehol_group_rules has rules for %r, which is not an inventory group%s"
                              % (group, _hint(group, groups)))
    elif isinstance(group_rules, list):
        raw.extend((rule, "firehol_group_rules[%d]" % index) for index, rule in enumerate(group_rules))
    else:
        errors.append("firehol_group_rules is a dict of rule lists by inventory group, or one rule list")
    for layer in ("host_rules", "dependent_rules"):
        raw.extend((rule, "firehol_%s[%d]" % (layer, index)) for index, rule in enumerate(_listed(layers.get(layer))))
    for role, rules in sorted((layers.get("exported_rules") or {}).items()):
        raw.extend((rule, "exported by %s" % role) for rule in _listed(rules))

    server, seen = [], set()
    for rule, origin in raw:
        filled = checker.rule(rule, origin, SERVER_DEFAULTS, server_keys)
        if filled is not None:
            key = repr(sorted((k, v) for k, v in filled.items() if k != "origin"))
            if key not in seen:
                seen.add(key)
                server.append(filled)
    client = [checker.rule(rule, "firehol_client_rules[%d]" % index, CLIENT_DEFAULTS, client_keys)
              for index, rule in enumerate(_listed(layers.get("client_rules")))]

    interfaces = []
    given = "interfaces" in layers  # the service roles check their exports alone
    for index, block in enumerate(_listed(layers.get("interfaces"))):
        if not isinstance(block, dict) or "name" not in block or "device" not in block:
            errors.append("firehol_interfaces[%d]: each interface is a dict with name and device" % index)
            continue
        interfaces.append(dict(INTERFACE_DEFAULTS, **block))
    if given and not interfaces:
        errors.append("firehol_interfaces needs at least one interface")
    interface_names = [block["name"] for block in interfaces]
    for name in sorted({name for name in interface_names if interface_names.count(name) > 1}):
        errors.append("firehol_interfaces names %r more than once" % name)

    routers = []
    for index, router in enumerate(_listed(layers.get("routers"))):
        if not isinstance(router, dict) or "name" not in router:
            errors.append("firehol_routers[%d]: each router is a dict with a name" % index)
            continue
        routes = [checker.rule(route, "firehol_routers.%s.routes[%d]" % (router["name"], position), ROUTE_DEFAULTS,
                               ("sources", "networks", "destinations", "destination_networks"))
                  for position, route in enumerate(_listed(router.get("routes")))]
        routers.append(dict(ROUTER_DEFAULTS, **dict(router, routes=[route for route in routes if route])))

    for name in interface_names + [router["name"] for router in routers]:
        if not BLOCK_NAME.match(str(name)):
            errors.append("interface or router name %r is not a letter and up to 15 letters, digits or _" % name)
    devices = [block["device"] for block in interfaces]
    devices += [router[key] for router in routers for key in ("inface", "outface") if router[key]]
    for device in devices:
        if not DEVICE.match(str(device)):
            errors.append("%r is not a device name (or space-separated names)" % device)
    for rule in server + [rule for rule in client if rule]:
        for name in rule["interfaces"]:
            if given and name not in interface_names:
                errors.append("rule %r (%s) names the interface %r, which firehol_interfaces does not define"
                              % (rule["name"], rule["origin"], name))
    for network in _listed(layers.get("admin_networks")):
        if not _is_network(str(network)):
            errors.append("firehol_admin_networks entry %r is not an address or network" % network)
    limit = str(layers.get("protection_limit") or "")
    if given and not PROTECTION_LIMIT.match(limit):
        errors.append("firehol_protection_limit %r is not RATE/PERIOD [BURST] such as '10000/sec 2000'" % limit)

    every = server + [rule for rule in client if rule] + [route for router in routers for route in router["routes"]]
    named = sorted({name for rule in every for key in ("sources", "destinations") for name in rule.get(key, [])})
    named_hosts = {name: list(groups[name]) if name in groups else ([] if name in excluded else [name])
                   for name in named if name in names}
    return dict(server=server, client=[rule for rule in client if rule], routers=routers, interfaces=interfaces,
                named_hosts=named_hosts, hosts=sorted({host for hosts in named_hosts.values() for host in hosts}),
                errors=errors)


def addresses_from_inventory(hosts: list[str], hostvars: t.Any) -> dict[str, dict[str, t.Any]]:
    """The addresses of each host that has facts of this run (webstack_facts of the preflight, or
    ansible_facts) or an address as ansible_host; the others are left out, for a lookup on the host being
    firewalled."""
    found = {}
    for host in hosts:
        variables = hostvars[host]
        facts = variables.get("webstack_facts") or variables.get("ansible_facts") or {}
        if "all_ipv4_addresses" in facts or "all_ipv6_addresses" in facts:
            addresses = list(facts.get("all_ipv4_addresses") or []) + [
                address for address in facts.get("all_ipv6_addresses") or [] if not LINK_LOCAL.match(address)]
            found[host] = dict(addresses=addresses, found_by="facts")
            continue
        address = str(variables.get("ansible_host") or "")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue
        found[host] = dict(addresses=[address], found_by="ansible_host")
    return found


def connection(ssh_connection: str, facts: dict[str, t.Any], container: bool,
               interfaces: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """Where the Ansible connection comes from, as this host sees it: the controller's addresses, the
    local port and the interface it arrives on, and whether a firehol interface block covers it."""
    fields = (ssh_connection or "").split()
    over_ssh = len(fields) == 4

    def unmapped(address: str) -> str:
        return address[7:] if address.startswith("::ffff:") and "." in address else address

    controller, interface, local_port = [], "", None
    if over_ssh:
        controller = [unmapped(fields[0])]
        local_port = int(fields[3])
        local = unmapped(fields[2])
        for device in facts.get("interfaces") or []:
            device_facts = facts.get(device.replace("-", "_").replace(".", "_")) or {}
            addresses = [(device_facts.get("ipv4") or {}).get("address", "")]
            addresses += [entry.get("address", "") for entry in device_facts.get("ipv4_secondaries") or []]
            addresses += [entry.get("address", "") for entry in device_facts.get("ipv6") or []]
            if local in addresses:
                interface = device
                break
    elif container:
        controller = [gateway for gateway in ((facts.get("default_ipv4") or {}).get("gateway", ""),
                                              (facts.get("default_ipv6") or {}).get("gateway", "")) if gateway]
        interface = (facts.get("default_ipv4") or {}).get("interface", "")
    covered = not interface or any(
        device == "any" or device == interface or (device.endswith("+") and interface.startswith(device[:-1]))
        for block in interfaces for device in str(block.get("device", "")).split())
    return dict(over_ssh=over_ssh, controller_addresses=controller, local_port=local_port, interface=interface,
                interface_covered=covered)


def _slug(name: str) -> str:
    return re.sub(r"^_|_$", "", re.sub(r"[^a-z0-9]+", "_", str(name).lower())) or "custom"


def _families(addresses: list[str]) -> tuple[list[str], list[str]]:
    return (sorted({address for address in addresses if ":" not in address}),
            sorted({address for address in addresses if ":" in address}))


def statements(checked: dict[str, t.Any], resolved: dict[str, dict[str, t.Any]], ssh: dict[str, t.Any]) -> dict:
    """The statements of firehol.conf: for each side of a rule, "any", or its IPv4 and IPv6 addresses. A
    side that names groups or networks but resolves to nothing for a family matches nothing there: that
    statement is left out, never widened to everyone. ssh holds port, from_controller, admin_networks and
    the connection() of this host."""
    addresses_of = {name: sorted({address for host in hosts for address in resolved.get(host, {}).get("addresses", [])})
                    for name, hosts in checked["named_hosts"].items()}

    def side(names: list[str], networks: list[str]) -> tuple[bool, list[str], list[str]]:
        found = [address for name in names for address in addresses_of.get(name, [])] + list(networks)
        return (not names and not networks), *_families(found)

    port = int(ssh["port"])
    ssh_service = "ssh" if port == 22 else "tcp/%d" % port
    controller = list(ssh["connection"]["controller_addresses"]) if ssh["from_controller"] else []
    ssh_networks = list(dict.fromkeys(controller + list(ssh["admin_networks"])))
    ssh_rules = []
    if ssh_networks:
        ssh_rules.append(dict(SERVER_DEFAULTS, name="ssh", service=ssh_service, networks=ssh_networks,
                              description="SSH from the Ansible controller (%s) and firehol_admin_networks (%s), "
                                          "whatever the other rules say"
                                          % (" ".join(controller) or "none", " ".join(ssh["admin_networks"]) or "none")))

    server = []
    for rule in ssh_rules + checked["server"]:
        source_any, source4, source6 = side(rule["sources"], rule["networks"])
        server.append(dict(rule, slug=_slug(rule["name"]), src_any=source_any, src4=source4, src6=source6,
                           dst_any=True, dst4=[], dst6=[], description=rule.get("description") or "%s: %s from %s" % (
                               rule["name"], rule["service"], ", ".join(rule["sources"] + rule["networks"]) or "anywhere")))
    client = []
    for rule in checked["client"]:
        destination_any, destination4, destination6 = side(rule["destinations"], rule["networks"])
        client.append(dict(rule, slug=_slug(rule["name"]), src_any=True, src4=[], src6=[], dst_any=destination_any,
                           dst4=destination4, dst6=destination6, description="%s: %s to %s" % (
                               rule["name"], rule["service"],
                               ", ".join(rule["destinations"] + rule["networks"]) or "anywhere")))
    routers = []
    for router in checked["routers"]:
        routes = []
        for route in router["routes"]:
            source_any, source4, source6 = side(route["sources"], route["networks"])
            destination_any, destination4, destination6 = side(route["destinations"], route["destination_networks"])
            routes.append(dict(route, slug=_slug(route["name"]), src_any=source_any, src4=source4, src6=source6,
                               dst_any=destination_any, dst4=destination4, dst6=destination6,
                               description="%s: %s from %s to %s" % (
                                   route["name"], route["service"],
                                   ", ".join(route["sources"] + route["networks"]) or "anywhere",
                                   ", ".join(route["destinations"] + route["destination_networks"]) or "anywhere")))
        routers.append(dict(router, routes=routes))

    ssh_paths = [rule["name"] for rule in server if rule["action"] == "accept"
                 and rule["service"] in (ssh_service, "tcp/%d" % port) and (rule["src_any"] or rule["src4"] or rule["src6"])]
    unresolved = [host for host in checked["hosts"] if not resolved.get(host, {}).get("addresses")]
    return dict(server=server, client=client, routers=routers, ssh_paths=ssh_paths, unresolved=unresolved,
                resolved={host: resolved[host] for host in checked["hosts"] if host in resolved})
