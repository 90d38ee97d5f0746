"""Routes: see the package docstring."""

from . import bp  # noqa: F401
