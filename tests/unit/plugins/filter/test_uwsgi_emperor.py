"""uwsgi_emperor_apps, uwsgi_emperor_problems, uwsgi_emperor_firewall_rules and uwsgi_emperor_layout: the apps
the role deploys, what it refuses, the ports it opens and what it writes."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.filter.uwsgi_emperor import (
    uwsgi_emperor_apps, uwsgi_emperor_firewall_rules, uwsgi_emperor_layout, uwsgi_emperor_packages,
    uwsgi_emperor_problems)

DEFAULTS = {"listen": "0.0.0.0:8080", "workers": 2, "threads": 2, "harakiri": 30, "max_requests": 5000,
            "health_path": "/health"}
SHOP = {"name": "shop", "source": {"path": "apps/shop"}, "module": "shop.wsgi", "requirements": "requirements.txt",
        "environment": {"b_mode": "1", "A_MODE": "2"}, "secret_environment": {"SHOP_KEY": "s3cret"}}
OFFICE = {"name": "office", "source": {"package": "dist/office-1.0-py3-none-any.whl"}, "module": "office.wsgi",
          "listen": "127.0.0.1:8081", "user": "www-data", "create_user": False}
FEED = {"name": "feed", "source": {"requirement": "feed==2.0", "constraints": ["click==8.1.7"]},
        "module": "feed.wsgi", "listen": "/run/feed.sock", "protocol": "uwsgi", "group": "shop"}


def apps(*given):
    return uwsgi_emperor_apps(list(given), DEFAULTS, "/opt", "/etc/uwsgi-emperor/vassals", "/var/log/uwsgi/app")


def test_each_app_gets_the_defaults_its_source_type_and_its_paths():
    shop, office, feed = apps(SHOP, OFFICE, FEED)
    assert (shop["listen"], shop["workers"], shop["callable"], shop["state"]) == ("0.0.0.0:8080", 2, "application",
                                                                                  "present")
    assert (shop["user"], shop["group"], shop["source_type"], shop["code_dir"]) == ("shop", "shop", "path",
                                                                                    "/opt/shop/src")
    assert shop["vassal"] == "/etc/uwsgi-emperor/vassals/shop.ini"
    assert shop["log_file"] == "/var/log/uwsgi/app/shop.log" and shop["unix_socket"] is False
    assert (office["source_type"], office["code_dir"]) == ("package", "/opt/office")
    assert office["package_file"] == "/opt/office/dist/office-1.0-py3-none-any.whl"
    assert (office["user"], office["group"], office["listen"]) == ("www-data", "www-data", "127.0.0.1:8081")
    assert (feed["source_type"], feed["unix_socket"], feed["user"], feed["group"]) == ("index", True, "feed", "shop")
    assert "source_type" not in SHOP


def test_apps_that_are_not_a_list_of_dicts_are_refused():
    with pytest.raises(AnsibleFilterError, match="must be a list of dicts"):
        apps("shop")


def test_an_inventory_of_sound_apps_has_no_problem():
    assert uwsgi_emperor_problems(apps(SHOP, OFFICE, FEED)) == []


def test_each_problem_is_one_sentence_and_secret_values_stay_out():
    bad = [
        dict(SHOP, name="Shop API", secret_environment={"SHOP_KEY": "CHANGE-ME", "TOKEN": ""}),
        dict(OFFICE, source={"path": "a", "git": "https://example.org/office.git"}, module=""),
        dict(FEED, name="shop", protocol="fastcgi", requirements="requirements.txt",
             source={"package": "x.whl", "version": "v1"}),
        {"name": "shop", "source": {"path": "b", "index_url": "https://pypi.org/simple"}, "module": "m",
         "environment": {"BAD-NAME": "x", "OK": "two\nlines"}, "listen": "0.0.0.0:70000"},
    ]
    problems = uwsgi_emperor_problems(apps(*bad))
    assert problems == [
        "uwsgi_emperor_apps names shop more than once.",
        'app name "Shop API" must match ^[a-z][a-z0-9_-]{0,31}$ (it names the vassal, the directory, the log and by'
        " default the user).",
        "app Shop API: the secrets SHOP_KEY, TOKEN are unset or CHANGE-ME; set them in a vault.",
        "app office: give exactly one of source.path (a directory on the controller), source.git (with"
        " source.version), source.package (a wheel or sdist on the controller) or source.requirement (from the"
        " package index).",
        "app office has no module (the WSGI module, such as myapp.wsgi).",
        "app shop: source.version goes with source.git only.",
        "app shop: requirements go with a path or git source (a package brings its own dependencies).",
        "app shop: protocol is http or uwsgi, not fastcgi.",
        "app shop: source.index_url and source.constraints go with source.requirement.",
        "app shop: environment and secret_environment names must match ^[A-Za-z_][A-Za-z0-9_]*$ and values must fit"
        " on one line.",
        "app shop listens on '0.0.0.0:70000', which has port 70000, not 1-65535.",
    ]
    assert not [problem for problem in problems if "s3cret" in problem]


def test_absent_apps_are_only_checked_for_their_names():
    assert uwsgi_emperor_problems(apps({"name": "old", "state": "absent"})) == []


def test_two_apps_on_one_port_are_refused():
    problems = uwsgi_emperor_problems(apps(SHOP, dict(OFFICE, listen=":8080")))
    assert problems == ["app shop (0.0.0.0:8080) and app office (:8080) listen on the same port 8080."]


def test_an_emperor_not_running_as_root_cannot_give_the_apps_their_own_users():
    problems = uwsgi_emperor_problems(apps(SHOP, OFFICE, FEED), uid="www-data")
    assert problems == ["uwsgi_emperor_uid is www-data, so the emperor cannot start vassals as other users; these"
                        " apps ask for another user: shop, feed. Keep uwsgi_emperor_uid root, or give every app"
                        " user: www-data and create_user: false."]


def test_only_http_ports_other_hosts_reach_are_opened():
    given = apps(SHOP, OFFICE, FEED, dict(SHOP, name="admin", listen="10.0.0.2:9000"),
                 dict(SHOP, name="gone", listen=":7000", state="absent"))
    assert uwsgi_emperor_firewall_rules(given, ["frontends"]) == [
        {"name": "uwsgi_8080", "service": "tcp/8080", "sources": ["frontends"]},
        {"name": "uwsgi_9000", "service": "tcp/9000", "sources": ["frontends"]},
    ]


def layout(*given, hashes=None):
    return uwsgi_emperor_layout(apps(*given), hashes or {"shop": "0" * 40}, "/usr/local/lib/uwsgi-emperor/check.py",
                                "/etc/logrotate.d/vassals", "/var/log/uwsgi/app")


def test_the_layout_creates_the_users_the_apps_own_once_per_group():
    result = layout(SHOP, OFFICE, FEED, {"name": "gone", "state": "absent"})
    assert [app["name"] for app in result["present"]] == ["shop", "office", "feed"]
    assert [app["name"] for app in result["absent"]] == ["gone"]
    assert result["accounts"] == {
        "groups": [{"name": "shop"}],
        "users": [{"name": "shop", "group": "shop", "home": "/opt/shop", "shell": "/usr/sbin/nologin",
                   "comment": "uWSGI app shop"},
                  {"name": "feed", "group": "shop", "home": "/opt/feed", "shell": "/usr/sbin/nologin",
                   "comment": "uWSGI app feed"}],
    }


def test_the_layout_lists_the_directories_trees_files_and_locks():
    result = layout(SHOP, OFFICE, FEED)
    assert result["directories"][:2] == [{"path": "/usr/local/lib/uwsgi-emperor", "mode": "0755"},
                                         {"path": "/var/log/uwsgi/app", "group": "adm", "mode": "0755"}]
    assert {"path": "/opt/office/dist", "mode": "0755", "prune": True} in result["directories"]
    assert result["trees"] == [{"src": "apps/shop", "dest": "/opt/shop/src", "group": "shop", "mode": "0640",
                                "directory_mode": "0750"}]
    assert result["reads"] == ["/opt/feed/requirements.lock"]
    files = {entry["dest"]: entry for entry in result["files"]}
    assert files["/opt/shop/.app.env.names"]["content"] == "A_MODE b_mode SHOP_KEY"
    variables = {"b_mode": "1", "A_MODE": "2", "SHOP_KEY": "s3cret"}
    assert files["/opt/shop/app.env"]["vars"] == {"__uwsgi_emperor_variables": variables}
    assert files["/opt/shop/app.env"]["secret"] is True
    assert files["/opt/office/dist/office-1.0-py3-none-any.whl"]["src"] == "dist/office-1.0-py3-none-any.whl"
    assert files["/opt/feed/constraints.txt"]["content"] == "click==8.1.7\n"


def test_the_virtualenv_records_name_what_pip_installs():
    blog = dict(SHOP, name="blog", source={"git": "https://example.org/blog.git", "version": "v2"})
    result = layout(SHOP, OFFICE, FEED, blog)
    files = {entry["dest"]: entry for entry in result["files"]}
    spec = ('# scalable.webstack lock of {"requirement": "feed==2.0", "index_url": null,'
            ' "constraints": ["click==8.1.7"]}')
    assert result["index_specs"] == {"feed": spec}
    records = {name: json.loads(files["/opt/%s/venv/webstack-installed.json" % name]["content"])
               for name in ("shop", "office", "feed", "blog")}
    assert records["shop"] == {"requirements": "0" * 40, "packages": [], "package": None, "index": None}
    assert records["office"]["package"] == "office-1.0-py3-none-any.whl"
    assert records["feed"] == {"requirements": None, "packages": [], "package": None, "index": spec}
    assert records["blog"]["requirements"] == "requirements.txt at v2"
    assert files["/opt/shop/venv/webstack-installed.json"]["content"].startswith('{"requirements": "000')


def test_git_is_installed_only_for_a_present_app_from_git():
    base, extra = ["uwsgi-emperor", "python3-venv"], ["libpq5"]
    from_git = {"name": "shop", "source": {"git": "https://git.example.com/shop.git"}}
    assert uwsgi_emperor_packages([from_git], base, extra) == ["uwsgi-emperor", "python3-venv", "git", "libpq5"]
    assert uwsgi_emperor_packages([dict(from_git, state="absent"), {"name": "blog", "source": {"path": "/srv"}}],
                                  base, extra) == base + extra
    assert uwsgi_emperor_packages([], base, []) == base
