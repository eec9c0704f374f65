"""The web UI: server-rendered pages under `/ui` over the same services the API uses."""
