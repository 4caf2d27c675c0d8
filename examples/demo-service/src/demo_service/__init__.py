"""A small inventory service: products and their stock, behind a JSON API."""

__version__ = "0.1.0"
