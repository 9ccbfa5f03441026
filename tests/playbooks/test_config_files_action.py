"""scalable.webstack.config_files as a role uses it, on this machine (connection local): templates found
through the role's and the playbook's search path, a user's template that extends the role's, trees from
the controller, secrets kept out of -vvv and --diff, one change then none."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ansible_commands import run

ROLE_TASKS = """\
- name: Write the demo files
  scalable.webstack.config_files:
    mode: "0640"
    directory_mode: "0750"
    directories:
      - path: "{{ out }}/conf.d"
        prune: true
        prune_patterns: ["*.conf"]
    files: >-
      {{ [{'dest': out ~ '/main.conf', 'template': demo_main_template},
          {'dest': out ~ '/app.env', 'content': demo_env, 'secret': true}]
         + demo_site_files }}
    trees:
      - src: "{{ code }}"
        dest: "{{ out }}/code"
  register: demo_written
  vars:
    demo_env: |
      PASSWORD={{ demo_password }}
    demo_site_files: >-
      {%- set files = [] -%}
      {%- for site in demo_sites -%}
      {%- set _ = files.append({'dest': out ~ '/conf.d/' ~ site ~ '.conf', 'template': 'site.conf.j2',
                                'vars': {'site': site}}) -%}
      {%- endfor -%}
      {{ files }}

- name: Show what changed
  ansible.builtin.debug:
    msg: "RESULT {{ demo_written | ansible.builtin.to_json }}"
"""

MAIN_TEMPLATE = """\
{% block header %}# demo{% endblock %}

listen {{ demo_port }}
{% block extra %}{% endblock %}
"""

PLAYBOOK = """\
- name: Use the demo role
  hosts: localhost
  gather_facts: false
  roles:
    - role: demo
"""


def setup(tmp_path: Path, main_template: str = "main.conf.j2", sites=("shop", "admin")) -> tuple[Path, list]:
    role = tmp_path / "roles" / "demo"
    for part in ("tasks", "templates", "defaults"):
        (role / part).mkdir(parents=True, exist_ok=True)
    (role / "tasks" / "main.yml").write_text(ROLE_TASKS)
    (role / "templates" / "main.conf.j2").write_text(MAIN_TEMPLATE)
    (role / "templates" / "site.conf.j2").write_text("server {{ site }}\n")
    (role / "defaults" / "main.yml").write_text("demo_main_template: main.conf.j2\ndemo_port: 8080\n")
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "ours.conf.j2").write_text(
        "{% extends 'main.conf.j2' %}{% block extra %}tuned yes\n{% endblock %}")
    code = tmp_path / "code"
    (code / "pkg").mkdir(parents=True, exist_ok=True)
    (code / "pkg" / "app.py").write_text("print('hi')\n")
    (code / "run.sh").write_text("#!/bin/sh\n")
    (code / "run.sh").chmod(0o755)
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    extra = dict(out=str(tmp_path / "out"), code=str(code), demo_password="s3cr3t-v4lue",
                 demo_main_template=main_template, demo_sites=list(sites))
    (tmp_path / "out").mkdir(exist_ok=True)
    return tmp_path, ["-e", json.dumps(extra)]


def play(directory: Path, extra: list, *options: str):
    result = run("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                 str(directory / "site.yml"), *extra, *options)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if '"msg": "RESULT ' in line)
    return json.loads(json.loads("{%s}" % line.strip())["msg"][len("RESULT "):]), result.stdout


def test_a_role_writes_its_files_once_then_changes_nothing(tmp_path):
    directory, extra = setup(tmp_path)
    written, dummy = play(directory, extra)
    out = tmp_path / "out"
    assert written["changed"]
    assert (out / "main.conf").read_text() == "# demo\nlisten 8080\n"
    assert (out / "conf.d" / "shop.conf").read_text() == "server shop\n"
    assert (out / "code" / "pkg" / "app.py").stat().st_mode & 0o777 == 0o640
    assert (out / "code" / "run.sh").stat().st_mode & 0o777 == 0o750
    written, dummy = play(directory, extra)
    assert not written["changed"] and written["changed_paths"] == []


def test_a_user_template_extends_the_role_template(tmp_path):
    directory, extra = setup(tmp_path, main_template="ours.conf.j2")
    play(directory, extra)
    assert (tmp_path / "out" / "main.conf").read_text() == "# demo\nlisten 8080\ntuned yes\n"


def test_dropped_sites_and_code_are_pruned(tmp_path):
    directory, extra = setup(tmp_path)
    play(directory, extra)
    (tmp_path / "code" / "pkg" / "app.py").unlink()
    directory, extra = setup(tmp_path, sites=("shop",))
    (tmp_path / "code" / "pkg" / "app.py").unlink()
    written, dummy = play(directory, extra)
    assert sorted(written["changed_paths"]) == sorted(
        [str(tmp_path / "out" / "conf.d" / "admin.conf"), str(tmp_path / "out" / "code" / "pkg" / "app.py")])
    assert not (tmp_path / "out" / "conf.d" / "admin.conf").exists()


def test_secrets_stay_out_of_verbose_output_and_diffs(tmp_path):
    directory, extra = setup(tmp_path)
    dummy, output = play(directory, extra, "-vvv", "--diff")
    assert "s3cr3t-v4lue" not in output
    assert "secret content changed (not shown)" in output
    assert "listen 8080" in output  # an ordinary file's diff is shown
    assert (tmp_path / "out" / "app.env").read_text() == "PASSWORD=s3cr3t-v4lue\n"


def test_check_mode_shows_the_diff_and_writes_nothing(tmp_path):
    directory, extra = setup(tmp_path)
    play(directory, extra)
    (tmp_path / "roles" / "demo" / "defaults" / "main.yml").write_text(
        "demo_main_template: main.conf.j2\ndemo_port: 9090\n")
    written, output = play(directory, extra, "--check", "--diff")
    assert written["changed"] and written["changed_paths"] == [str(tmp_path / "out" / "main.conf")]
    assert "-listen 8080" in output and "+listen 9090" in output
    assert (tmp_path / "out" / "main.conf").read_text() == "# demo\nlisten 8080\n"
