"""uwsgi-office: the unix socket nginx uses, and a variable the side effect dropped."""

from conftest import http

testinfra_hosts = ["ansible://uwsgi-office"]


def test_the_unix_socket_is_for_the_app_and_nginx_only(host):
    socket_file = host.file("/run/uwsgi/shop_api.sock")
    assert socket_file.is_socket
    assert (socket_file.user, socket_file.group, socket_file.mode) == ("shop_api", "www-data", 0o660)


def test_a_variable_dropped_from_the_environment_is_gone(host):
    before = host.file("/root/backoffice-before-side-effect.html").content_string
    assert '<p class="banner">Staging data</p>' in before
    after = host.file("/root/backoffice-after-variable-drop.html").content_string
    assert 'class="banner"' not in after
    assert "Staging data" not in after
    assert '<form method="post" action="/products">' in after


def test_the_variable_is_back_with_the_converged_environment(host):
    page = http(host, "http://127.0.0.1:8080/")
    assert page.status == 200
    assert '<p class="banner">Staging data</p>' in page.body
