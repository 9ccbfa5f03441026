"""The consuming team's own app: says hello, and what it was told about the client."""


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/health":
        body = b"ok"
    else:
        body = ("hello from %s; client %s\n" % (environ.get("SERVER_NAME"), environ.get("HTTP_X_REAL_IP"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
