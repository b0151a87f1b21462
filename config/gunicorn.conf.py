"""gunicorn's settings for Rekey (``gunicorn -c config/gunicorn.conf.py config.wsgi``).

The access log goes to stdout with every secret query parameter (a reset link's ticket) redacted.
"""

import os

accesslog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
logger_class = "accounts.redaction.GunicornLogger"
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 8))
