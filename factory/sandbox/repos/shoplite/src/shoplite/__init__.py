"""shoplite: a small order-management service."""

__version__ = "0.3.1"
