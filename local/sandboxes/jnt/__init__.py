"""J&T Express (JMS open platform, Malaysia variant) carrier sandbox: a real HTTP server on 127.0.0.1 built from
J&T's published open-platform pages, with header-digest auth, business passwords, a clock-driven parcel lifecycle
keyed on ``scanTypeCode``, batched and signed tracking callbacks, fault switches and a purchase ledger.

Run it with ``python -m local.sandboxes.jnt --help``; embed it with
``from local.sandboxes.jnt.server import JntSandbox``. See README.md in this folder.
"""
