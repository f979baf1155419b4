"""Stand-alone sandboxes of the outside services the project talks to (Shopee first, carriers later).

Each sandbox is a real HTTP server on 127.0.0.1 built from the provider's published API shapes. A sandbox
imports nothing from the project's own code: it is the independent second opinion the project's client is
tested against, so the two cannot silently agree on a wrong shape.
"""
