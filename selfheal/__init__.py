"""selfheal: check and safely repair what a Python app needs before it starts."""

__version__ = "0.1.0"
