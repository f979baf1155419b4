"""The HTTP API under /v1: one resolver, one error envelope, routes grouped by resource."""
