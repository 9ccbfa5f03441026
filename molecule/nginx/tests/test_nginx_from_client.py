"""nginx as a client on the network sees it: TLS, static files, proxying with forwarded headers."""

import json

testinfra_hosts = ["ansible://nginx-client"]

WEB = "nginx-web"


def curl(host, *args):
    return host.run("curl -sS --max-time 5 " + " ".join(args))


def test_static_file_served_over_https(host):
    body = host.check_output(f"curl -fsS -k https://{WEB}/static/hello.txt")
    assert body == "static hello"


def test_missing_static_file_is_404_not_proxied(host):
    code = host.check_output(f"curl -s -k -o /dev/null -w '%{{http_code}}' https://{WEB}/static/nope.txt")
    assert code == "404"


def test_proxy_passes_forwarded_headers_over_keepalive(host):
    own_address = host.check_output("getent hosts nginx-client").split()[0]
    echo = json.loads(host.check_output(f"curl -fsS -k https://{WEB}/products/?page=2"))
    assert echo["backend"] == "nginx-client"
    assert echo["path"] == "/products/?page=2"
    headers = echo["headers"]
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == WEB
    assert headers["x-forwarded-for"] == own_address
    # HTTP/1.1 with an empty Connection header: nginx keeps the upstream connection open.
    assert "connection" not in headers


def test_https_speaks_http2(host):
    # nginx 1.22 (Debian 12) takes it as "listen ... http2", 1.26 (Debian 13) as "http2 on;" (vars/main.yml, by release).
    version = host.check_output(f"curl -sS -k --http2 -o /dev/null -w '%{{http_version}}' https://{WEB}/static/hello.txt")
    assert version == "2"


def test_plain_http_redirects_to_https(host):
    out = host.check_output(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' http://{WEB}/a?b=1")
    assert out == f"301 https://{WEB}/a?b=1"


def test_tls_handshake_presents_the_vhost_certificate(host):
    verbose = curl(host, "-k -v -o /dev/null", f"https://{WEB}/").stderr
    assert "subject: CN=site.test" in verbose
    assert "SSL connection using TLSv1.3" in verbose


def test_version_is_not_advertised(host):
    headers = host.check_output(f"curl -fsS -k -I https://{WEB}/static/hello.txt").lower()
    assert "server: nginx\r" in headers
    assert "x-vhost: site" in headers


def test_the_vhost_listed_again_answers(host):
    # The side effect ran the role without the "legacy" vhost (port 8081), then with it again.
    assert curl(host, "-o /dev/null", f"http://{WEB}:8081/").rc == 0
