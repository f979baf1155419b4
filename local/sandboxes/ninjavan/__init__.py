"""Ninja Van (Order API v4.x) carrier sandbox: a real HTTP server on 127.0.0.1 built from Ninja Van's published API
shapes, with a clock-driven parcel lifecycle, signed v2 webhooks, fault switches and a purchase ledger.

Run it with ``python -m local.sandboxes.ninjavan --help``; embed it with
``from local.sandboxes.ninjavan.server import NinjaVanSandbox``. See README.md in this folder.
"""
