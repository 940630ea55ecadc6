"""gunicorn settings for production (``gunicorn -c deploy/gunicorn.conf.py locator.wsgi``).

The access log leaves out query strings: a search URL carries the searcher's
place or coordinates, and the service keeps no record of who searched where.
The client address is left out too.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
# Refuse oversized request lines and headers early.
limit_request_line = 4094
limit_request_fields = 50
accesslog = "-"
# %(U)s is the path without the query string; no client address, no referer.
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
