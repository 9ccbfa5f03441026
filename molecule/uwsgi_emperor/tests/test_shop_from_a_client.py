"""The apps as a client on the network sees them; uwsgi-db plays the client and holds the database."""

import json
import re
import shlex
import uuid
from pathlib import Path

import pytest

from conftest import API, OFFICE, http, other_host, post_json, wait_until

testinfra_hosts = ["ansible://uwsgi-db"]

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "apps"
API_URL = f"http://{API}:8080"
OFFICE_URL = f"http://{OFFICE}:8080"
# shop_api on uwsgi-office listens on a unix socket in the uwsgi protocol; nginx passes port 8081 to it.
OFFICE_NGINX_URL = f"http://{OFFICE}:8081"


def product_name():
    return f"product-{uuid.uuid4().hex[:10]}"


def database_rows(host, query):
    output = host.check_output(f"mariadb --batch --skip-column-names shop -e {shlex.quote(query)}")
    return [line.split("\t") for line in output.splitlines()]


def test_api_lists_products_as_json_with_its_backend_header(host):
    answer = http(host, f"{API_URL}/products/")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["backend"] == API
    assert isinstance(answer.json(), list)


def test_errors_carry_the_backend_header_too(host):
    answer = http(host, f"{API_URL}/no-such-page")
    assert answer.status == 404
    assert answer.headers["backend"] == API


def test_backoffice_shows_the_product_form_with_its_backend_header(host):
    answer = http(host, f"{OFFICE_URL}/")
    assert answer.status == 200
    assert answer.headers["backend"] == OFFICE
    assert '<form method="post" action="/products">' in answer.body


def test_static_files_are_served_by_the_vassal(host):
    answer = http(host, f"{OFFICE_URL}/static/style.css")
    assert answer.status == 200
    assert answer.body == (FIXTURES / "shop_admin" / "static" / "style.css").read_text()
    # Served by uWSGI's static-map: the app's Backend header is not there.
    assert "backend" not in answer.headers


@pytest.mark.parametrize("url", [API_URL, OFFICE_URL, OFFICE_NGINX_URL])
def test_health_answers_ok(host, url):
    answer = http(host, f"{url}/health")
    assert (answer.status, answer.body) == (200, "ok\n")


def test_a_product_posted_to_the_api_is_stored_in_mariadb_and_shown_everywhere(host):
    name = product_name()
    created = post_json(host, f"{API_URL}/products/", {"name": name, "price": 12.5})
    assert created.status == 201, created.body
    assert created.headers["backend"] == API
    product = created.json()
    assert (product["name"], product["price"]) == (name, 12.5)

    assert product in http(host, f"{API_URL}/products/").json()
    assert f'<td class="name">{name}</td>' in http(host, f"{OFFICE_URL}/").body
    assert {"id": product["id"], "name": name, "price": 12.5} in http(host, f"{OFFICE_NGINX_URL}/products/").json()
    assert database_rows(host, f"SELECT id, price FROM products WHERE name = '{name}'") == [[str(product["id"]), "12.50"]]


def test_a_product_added_with_the_backoffice_form_is_listed_by_the_api(host):
    name = product_name()
    answer = http(host, f"{OFFICE_URL}/products", "--data-urlencode", f"name={name}", "--data-urlencode", "price=3.20")
    assert answer.status == 303
    assert answer.headers["location"].endswith("/")
    assert {(p["name"], p["price"]) for p in http(host, f"{API_URL}/products/").json()} >= {(name, 3.2)}


@pytest.mark.parametrize("document", [{"name": "", "price": 1}, {"name": "x", "price": "cheap"}, ["x", 1]])
def test_the_api_refuses_a_malformed_product(host, document):
    answer = post_json(host, f"{API_URL}/products/", document)
    assert answer.status == 400
    assert "error" in answer.json()


@pytest.mark.parametrize("url", [API_URL, OFFICE_NGINX_URL])
def test_the_api_runs_in_its_own_virtualenv(host, url):
    assert http(host, f"{url}/").json()["prefix"] == "/opt/shop_api/venv"


def test_the_backoffice_runs_in_its_own_virtualenv(host):
    assert '<span class="prefix">/opt/shop_admin/venv</span>' in http(host, f"{OFFICE_URL}/").body


def test_the_new_code_was_served_after_the_side_effect(host):
    api_server = other_host(host, API)
    recorded = json.loads(api_server.file("/root/api-server-after-side-effect.json").content_string)
    code, answer = recorded["answers"]["8080"]
    assert code == 0 and json.loads(answer)["version"] == "2.0"
    # The unix socket app on the other host was not redeployed.
    assert http(host, f"{OFFICE_NGINX_URL}/").json()["version"] == "1.0"


def test_the_converged_version_is_back(host):
    assert http(host, f"{API_URL}/").json()["version"] == "1.0"


def test_the_removed_app_did_not_answer(host):
    recorded = json.loads(other_host(host, API).file("/root/api-server-after-side-effect.json").content_string)
    code, dummy = recorded["answers"]["8081"]
    assert code == 7  # curl: connection refused


def test_the_removed_broken_app_does_not_answer(host):
    # shop_broken, which could not load, then removed by the side effect.
    result = host.run(f"curl -sS --max-time 5 -o /dev/null http://{API}:8082/health")
    assert result.rc == 7, result.stderr  # connection refused


def test_health_answers_503_while_the_database_is_down(host):
    try:
        host.check_output("systemctl stop mariadb")
        answer = http(host, f"{API_URL}/health")
        assert answer.status == 503
        assert answer.body.startswith("database unavailable")
        assert http(host, f"{API_URL}/products/").status == 503
    finally:
        host.check_output("systemctl start mariadb")
    wait_until(lambda: http(host, f"{API_URL}/health").status == 200, message="health back to 200")
    assert re.fullmatch(r"\[.*\]", http(host, f"{API_URL}/products/").body, re.S)
