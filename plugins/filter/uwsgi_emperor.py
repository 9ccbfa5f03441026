# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""uwsgi_emperor_apps, uwsgi_emperor_problems and uwsgi_emperor_layout: the uwsgi_emperor role's apps with
their defaults and paths, what is wrong with them, and the users, files and directories they need, computed
in Python once per call (the Jinja they replace was compiled again in every task that read it)."""

from __future__ import annotations

import collections
import json
import os.path
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.filter.listen import listen_problems

APP_DEFAULTS = {
    "state": "present", "source": {}, "callable": "application", "requirements": None, "packages": [],
    "user": None, "group": None, "create_user": True, "protocol": "http", "environment": {},
    "secret_environment": {}, "static_maps": [], "extra_options": [],
}
APP_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SOURCE_KEYS = ("path", "git", "package", "requirement")
UNSET_SECRETS = ("", "CHANGE-ME", None)
LOCK_HEADER = "# scalable.webstack lock of "


def _source_type(source):
    if "git" in source:
        return "git"
    if "package" in source:
        return "package"
    if "requirement" in source:
        return "index"
    return "path"


def uwsgi_emperor_apps(apps, defaults, apps_dir, vassals_dir, log_dir):
    """Each app of uwsgi_emperor_apps with every optional key filled in (APP_DEFAULTS, then the role-wide
    defaults such as listen and workers) and its source type and paths added."""
    if not isinstance(apps, (list, tuple)) or not all(isinstance(app, dict) for app in apps):
        raise AnsibleFilterError("uwsgi_emperor_apps: uwsgi_emperor_apps must be a list of dicts, not %r" % (apps,))
    result = []
    for app in apps:
        merged = dict(APP_DEFAULTS, **defaults)
        merged.update(app)
        source = merged["source"] if isinstance(merged["source"], dict) else {}
        name = str(merged.get("name"))
        user = merged["user"] or merged.get("name")
        source_type = _source_type(source)
        base_dir = "%s/%s" % (apps_dir, name)
        merged.update({
            "user": user,
            "group": merged["group"] or user,
            "source_type": source_type,
            "base_dir": base_dir,
            "code_dir": base_dir if source_type in ("package", "index") else base_dir + "/src",
            "lock_file": base_dir + "/requirements.lock",
            "constraints_file": base_dir + "/constraints.txt",
            "venv": base_dir + "/venv",
            "venv_record": base_dir + "/venv/webstack-installed.json",
            "env_file": base_dir + "/app.env",
            "env_names_file": base_dir + "/.app.env.names",
            "package_file": base_dir + "/dist/" + os.path.basename(source.get("package") or ""),
            "health_failed_marker": base_dir + "/.health-failed",
            "vassal": "%s/%s.ini" % (vassals_dir, name),
            "log_file": "%s/%s.log" % (log_dir, name),
            "unix_socket": str(merged["listen"]).startswith("/"),
        })
        result.append(merged)
    return result


def _present(apps):
    return [app for app in apps if app["state"] == "present"]


def _app_problems(app):
    label = "app %s" % app["name"]
    source = app["source"] if isinstance(app["source"], dict) else {}
    problems = []
    if sum(key in source for key in SOURCE_KEYS) != 1:
        problems.append(label + ": give exactly one of source.path (a directory on the controller), source.git (with"
                                " source.version), source.package (a wheel or sdist on the controller) or"
                                " source.requirement (from the package index).")
    if ("index_url" in source or "constraints" in source) and app["source_type"] != "index":
        problems.append(label + ": source.index_url and source.constraints go with source.requirement.")
    if "version" in source and app["source_type"] != "git":
        problems.append(label + ": source.version goes with source.git only.")
    if not app.get("module"):
        problems.append(label + " has no module (the WSGI module, such as myapp.wsgi).")
    if app["requirements"] is not None and app["source_type"] in ("package", "index"):
        problems.append(label + ": requirements go with a path or git source (a package brings its own"
                                " dependencies).")
    if app["protocol"] not in ("http", "uwsgi"):
        problems.append("%s: protocol is http or uwsgi, not %s." % (label, app["protocol"]))
    variables = {**app["environment"], **app["secret_environment"]}
    if (any(not VARIABLE_NAME.match(str(name)) for name in variables)
            or any(re.search(r"[\r\n]", str(value)) for value in variables.values())):
        problems.append(label + ": environment and secret_environment names must match ^[A-Za-z_][A-Za-z0-9_]*$"
                                " and values must fit on one line.")
    unset = [name for name, value in app["secret_environment"].items() if value in UNSET_SECRETS]
    if unset:
        problems.append("%s: the secrets %s are unset or CHANGE-ME; set them in a vault."
                        % (label, ", ".join(map(str, unset))))
    return problems


def uwsgi_emperor_problems(apps, uid="root"):
    """One sentence per problem of uwsgi_emperor_apps' output: names repeated or unfit for a file name, and
    for each present app its source, module, requirements, protocol, environment, secrets and address; and
    apps asking for another user than an emperor that does not run as root can give them. Secret values never
    appear in a sentence."""
    names = [app["name"] for app in apps]
    problems = []
    duplicates = [str(name) for name, count in collections.Counter(names).items() if count > 1]
    if duplicates:
        problems.append("uwsgi_emperor_apps names %s more than once." % ", ".join(duplicates))
    for name in map(str, names):
        if not APP_NAME.match(name):
            problems.append("app name %s must match ^[a-z][a-z0-9_-]{0,31}$ (it names the vassal, the directory,"
                            " the log and by default the user)." % json.dumps(name))
    present = _present(apps)
    for app in present:
        problems.extend(_app_problems(app))
    problems.extend(problem + "." for problem in listen_problems([["app %s" % app["name"], app["listen"]]
                                                                 for app in present]))
    others = [app["name"] for app in present if app["user"] != uid]
    if uid != "root" and others:
        problems.append("uwsgi_emperor_uid is %s, so the emperor cannot start vassals as other users; these apps ask"
                        " for another user: %s. Keep uwsgi_emperor_uid root, or give every app user: %s and"
                        " create_user: false." % (uid, ", ".join(map(str, others)), uid))
    return problems


def _port(listen):
    port = listen.rpartition(":")[2]
    return int(port) if port.isdigit() else 0


def uwsgi_emperor_firewall_rules(apps, sources):
    """A firewall rule per TCP port on which a present app serves http to other hosts (not on loopback)."""
    ports = set()
    for app in _present(apps):
        if app["protocol"] != "http" or app["unix_socket"]:
            continue
        host = app["listen"].rpartition(":")[0]
        if not (host.startswith("127.") or host in ("localhost", "[::1]")):
            ports.add(_port(app["listen"]))
    return [{"name": "uwsgi_%d" % port, "service": "tcp/%d" % port, "sources": sources} for port in sorted(ports)]


def _case_blind(name):
    """The order of Jinja's sort filter, which the files written before this filter existed used."""
    return name.lower() if isinstance(name, str) else name


def _index_spec(source):
    return LOCK_HEADER + json.dumps({"requirement": source["requirement"], "index_url": source.get("index_url"),
                                     "constraints": source.get("constraints", [])})


def _venv_record(app, requirement_hashes, index_spec):
    if app["requirements"] is None:
        requirements = None
    elif app["source_type"] == "path":
        requirements = requirement_hashes[app["name"]]
    else:
        requirements = "%s at %s" % (app["requirements"], app["source"].get("version", "HEAD"))
    return json.dumps({"requirements": requirements, "packages": app["packages"],
                       "package": os.path.basename(app["source"].get("package") or "") or None,
                       "index": index_spec})


def _app_files(app, record):
    variables = {**app["environment"], **app["secret_environment"]}
    files = [
        {"dest": app["log_file"], "state": "exists", "owner": app["user"], "group": "adm", "mode": "0640",
         "report_size": True},
        {"dest": app["env_file"], "template": "app.env.j2", "group": app["group"], "mode": "0640",
         "vars": {"__uwsgi_emperor_variables": variables}, "secret": True},
        {"dest": app["env_names_file"], "content": " ".join(map(str, sorted(variables, key=_case_blind))),
         "mode": "0644", "keep_previous": True},
        {"dest": app["venv_record"], "mode": "0644", "content": record},
        {"dest": app["health_failed_marker"], "state": "absent", "keep_previous": True},
    ]
    if app["source_type"] == "package":
        files.append({"dest": app["package_file"], "src": app["source"]["package"], "mode": "0644"})
    if app["source"].get("constraints"):
        files.append({"dest": app["constraints_file"], "mode": "0644",
                      "content": "\n".join(map(str, app["source"]["constraints"])) + "\n"})
    return files


def uwsgi_emperor_layout(apps, requirement_hashes, check_script, logrotate_file, log_dir):
    """What the role's tasks write for uwsgi_emperor_apps' output: the present and absent apps, the users and
    groups to create, the directories, code trees and files of one config_files run, the lock files it reads,
    and each index app's lock header. requirement_hashes: the SHA-1 of each path app's requirements file."""
    present = _present(apps)
    index_specs = {app["name"]: _index_spec(app["source"]) for app in present if app["source_type"] == "index"}
    owned = [app for app in present if app["create_user"]]
    directories = [{"path": os.path.dirname(check_script), "mode": "0755"},
                   {"path": log_dir, "group": "adm", "mode": "0755"}]
    files = [{"dest": check_script, "src": "vassal_check.py", "mode": "0644"},
             {"dest": logrotate_file, "template": "logrotate.j2", "mode": "0644"}]
    for app in present:
        directories.append({"path": app["base_dir"], "group": app["group"], "mode": "0750"})
        directories.append({"path": app["venv"], "mode": "0755", "state": "exists"})
        if app["source_type"] == "package":
            directories.append({"path": os.path.dirname(app["package_file"]), "mode": "0755", "prune": True})
        files.extend(_app_files(app, _venv_record(app, requirement_hashes, index_specs.get(app["name"]))))
    return {
        "present": present,
        "absent": [app for app in apps if app["state"] == "absent"],
        "accounts": {
            "groups": [{"name": group} for group in dict.fromkeys(app["group"] for app in owned)],
            "users": [{"name": app["user"], "group": app["group"], "home": app["base_dir"],
                       "shell": "/usr/sbin/nologin", "comment": "uWSGI app %s" % app["name"]} for app in owned],
        },
        "directories": directories,
        "trees": [{"src": app["source"]["path"], "dest": app["code_dir"], "group": app["group"], "mode": "0640",
                   "directory_mode": "0750"} for app in present if app["source_type"] == "path"],
        "files": files,
        "reads": [app["lock_file"] for app in present if app["source_type"] == "index"],
        "index_specs": index_specs,
    }


def uwsgi_emperor_packages(apps, base_packages, extra_packages):
    """The packages the role installs: the release's own, git when a present app comes from git, and the extra
    ones. Reads uwsgi_emperor_apps as given, so that the condition of the install does not fill in every app."""
    needs_git = any(isinstance(app, dict) and app.get("state", "present") == "present"
                    and isinstance(app.get("source"), dict) and _source_type(app["source"]) == "git"
                    for app in apps or [])
    return list(base_packages) + (["git"] if needs_git else []) + list(extra_packages)


class FilterModule:
    def filters(self):
        return {
            "uwsgi_emperor_apps": uwsgi_emperor_apps,
            "uwsgi_emperor_problems": uwsgi_emperor_problems,
            "uwsgi_emperor_firewall_rules": uwsgi_emperor_firewall_rules,
            "uwsgi_emperor_layout": uwsgi_emperor_layout,
            "uwsgi_emperor_packages": uwsgi_emperor_packages,
        }
