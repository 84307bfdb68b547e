"""gunicorn reads this file from its working directory (the Dockerfile, `dev.py run` and
the benchmarks start it in the project's folder); command-line settings win over it."""

from registry_site.env import envint

# A kept-alive connection stays with the worker that accepted it, so a few busy
# long-lived clients (a Spark application, a bulk loader) can all land on one worker
# while the others idle. Closing each connection after this many requests, as nginx's
# keepalive_requests does, lets the client reconnect to whichever worker accepts first.
# 0 keeps connections open for as long as gunicorn's keep-alive allows.
MAX_REQUESTS_PER_CONNECTION = envint("WEB_MAX_REQUESTS_PER_CONNECTION", 100)


def pre_request(worker, req):
    if MAX_REQUESTS_PER_CONNECTION and req.req_number >= MAX_REQUESTS_PER_CONNECTION:
        req.must_close = True  # gunicorn answers with Connection: close, then closes
