"""The control-plane REST API (FastAPI). Build it with :func:`services.api.app.create_app`."""
