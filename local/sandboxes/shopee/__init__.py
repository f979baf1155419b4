"""Shopee Open Platform v2 sandbox: a real HTTP server on 127.0.0.1 built from Shopee's published API shapes.

Run it with ``python -m local.sandboxes.shopee --help``; embed it with
``from local.sandboxes.shopee.server import ShopeeSandbox``. See README.md in this folder.
"""
