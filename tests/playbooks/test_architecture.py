"""The README's architecture picture (scripts/architecture.sh, scripts/architecture.yml) is up to date with
inventories/demo, and what it draws are the flows the firewalls really let in."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_commands import ROOT, run


class Picture:
    """The Mermaid flowchart and the table of a rendered architecture.md."""

    EDGE = re.compile(r"^\s*(\S+) (-->|<-->)\|([^|]*)\| (\S+)$")
    NODE = re.compile(r'^\s*(h_\w+)\["([^"<]+)')
    SUBGRAPH = re.compile(r"^\s*subgraph (\w+)\[")

    def __init__(self, text: str):
        self.text = text
        diagram = re.search(r"```mermaid\nflowchart LR\n(.*?)```", text, re.S)
        assert diagram, text
        self.edges: list[tuple[str, str, set[str]]] = []   # source, destination, services
        self.node_of: dict[str, str] = {}                    # host -> node id
        self.inside: dict[str, list[str]] = {}               # node id -> enclosing subgraphs
        stack: list[str] = []
        for line in diagram.group(1).splitlines():
            if match := self.SUBGRAPH.match(line):
                stack.append(match.group(1))
            elif line.strip() == "end":
                stack.pop()
            elif match := self.EDGE.match(line):
                source, arrow, label, destination = match.groups()
                services = {service.strip() for service in label.split(",")}
                self.edges.append((source, destination, services))
                if arrow == "<-->":
                    self.edges.append((destination, source, services))
            elif match := self.NODE.match(line):
                self.node_of[match.group(2)] = match.group(1)
                self.inside[match.group(1)] = list(stack)
        self.rows = {cells[0].strip("` "): [cell.strip() for cell in cells[1:]]
                     for cells in (line.strip("|").split("|") for line in text.splitlines()
                                   if line.startswith("| `"))}

    def services(self, source: str, host: str) -> set[str]:
        """What the diagram lets from source (a node or subgraph id) into host, directly or into a
        subgraph holding it."""
        node = self.node_of[host]
        targets = {node, *self.inside[node]}
        return set().union(*(services for src, dst, services in self.edges if src == source and dst in targets))

    def sources_of(self, host: str) -> set[str]:
        node = self.node_of[host]
        targets = {node, *self.inside[node]}
        return {src for src, dst, dummy in self.edges if dst in targets}


def render(tmp_path: Path) -> Picture:
    output = tmp_path / "architecture.md"
    result = run("ansible-playbook", "-i", "inventories/demo", "scripts/architecture.yml",
                 "-e", f"architecture_output={output}")
    assert result.returncode == 0, result.stdout + result.stderr
    return Picture(output.read_text())


def test_readme_picture_is_up_to_date():
    result = run(str(ROOT / "scripts" / "architecture.sh"), "--check")
    assert result.returncode == 0, (
        "README.md's architecture block is stale: run `make architecture`\n" + result.stdout + result.stderr)


def test_picture_shows_the_firewall_flows(tmp_path):
    picture = render(tmp_path)

    # Every host of the demo is drawn, in the subgraph of its tier.
    assert set(picture.node_of) == {"demo-lb1", "demo-backend1", "demo-backend2", "demo-backoffice1",
                                    "demo-db1", "demo-db2", "demo-mongo1", "demo-mongo2", "demo-mongo3"}
    assert picture.inside[picture.node_of["demo-db1"]] == ["t_mariadb"]
    assert picture.inside[picture.node_of["demo-backend1"]] == ["t_appservers", "t_backends"]

    # MariaDB: 3306 from the app servers (their local haproxy) and from the other member of the pair.
    assert "tcp/3306" in picture.services("t_appservers", "demo-db1")
    assert "tcp/3306" in picture.services(picture.node_of["demo-db2"], "demo-db1")
    assert picture.rows["demo-db1"] == ["mariadb", "`tcp/3306` from appservers, mariadb"]

    # The apps: 8080 from the frontends' haproxy.
    assert "tcp/8080" in picture.services("t_frontends", "demo-backend1")
    assert picture.rows["demo-backend1"][1] == "`tcp/8080` from frontends"

    # The internet reaches the frontend only, on http and https.
    assert {"http", "https"} <= picture.services("clients", "demo-lb1")
    assert "from anywhere (clients)" in picture.rows["demo-lb1"][1]
    assert not [dst for src, dst, dummy in picture.edges if src == "clients" and dst != picture.node_of["demo-lb1"]]

    # Nothing from the frontends to the databases.
    frontend_nodes = {"t_frontends", picture.node_of["demo-lb1"]}
    for host in ("demo-db1", "demo-db2"):
        assert not picture.sources_of(host) & frontend_nodes, picture.text
        assert "frontends" not in picture.rows[host][1]
