"""gunicorn reads this file from its working directory (the Dockerfile, `dev.py run` and
the benchmarks start it in the project's folder); command-line settings win over it.

gunicorn's threads read each request's headers and body synchronously: a client that
sends them slowly holds a thread for as long as it keeps sending. In production it runs
behind a buffering reverse proxy (deploy/nginx.conf, docker-compose.yaml's `nginx`) that
reads requests whole, with timeouts, before they reach it."""

from registry_site.env import envint

# A worker that stops reporting for this long is killed and replaced. With threads
# (gthread, as the Dockerfile and dev.py start it) a long request does not count: only a
# stuck process does.
timeout = envint("WEB_TIMEOUT", 30, minimum=1)
# How long an idle kept-alive connection waits for its next request. Above nginx's
# upstream keepalive_timeout (4 s in deploy/nginx.conf), so nginx always closes an idle
# connection first and never sends a request on one that gunicorn is closing; still
# short for clients connecting directly.
keepalive = envint("WEB_KEEPALIVE", 5, minimum=1)

# A kept-alive connection stays with the worker that accepted it, so a few busy
# long-lived clients (a Spark application, a bulk loader) can all land on one worker
# while the others idle. Closing each connection after this many requests, as nginx's
# keepalive_requests does, lets the client reconnect to whichever worker accepts first.
# 0 keeps connections open for as long as gunicorn's keep-alive allows.
MAX_REQUESTS_PER_CONNECTION = envint("WEB_MAX_REQUESTS_PER_CONNECTION", 100)


def pre_request(worker, req):
    if MAX_REQUESTS_PER_CONNECTION and req.req_number >= MAX_REQUESTS_PER_CONNECTION:
        req.must_close = True  # gunicorn answers with Connection: close, then closes
