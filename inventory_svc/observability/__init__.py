"""Logs and metrics: JSON log lines with the request id, Prometheus metrics (issue 9).

Framework-free, so that services can record what only they know (a scan's action and
result) and the API layer can serve it (`api/observability.py`)."""
