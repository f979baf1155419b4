"""The local stack: the project's Lambda handlers on one machine, against moto and the sandboxes.

Run ``python -m local up``; see :mod:`local.stack` for what starts and ``local-stack.json`` for what
tests and people read. Nothing under ``functions/`` or ``layers/`` knows it runs here beyond the
endpoint and clock settings in its environment.
"""
