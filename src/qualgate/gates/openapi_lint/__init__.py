"""openapi-lint: OpenAPI documents that are valid, well-formed and compatible with their
older version.

The entry module is `gate`; other gates use only `api`.
"""
