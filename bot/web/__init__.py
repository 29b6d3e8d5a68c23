"""The web app: channel routes and /healthz."""
