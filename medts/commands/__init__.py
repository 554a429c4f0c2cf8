"""CLI command groups; each module defines ``register(app)`` (see :mod:`medts.cli`)."""
