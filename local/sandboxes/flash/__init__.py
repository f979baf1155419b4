"""Flash Express (Thailand) carrier sandbox: a real HTTP server on 127.0.0.1 built from Flash's published Open API
(form-encoded, SHA-256 signed calls), with a clock-driven parcel lifecycle, signed form webhooks that are re-sent
until Flash's exact acknowledgement body comes back, fault switches and a purchase ledger.

Run it with ``python -m local.sandboxes.flash --help``; embed it with
``from local.sandboxes.flash.server import FlashSandbox``. See README.md in this folder.
"""
