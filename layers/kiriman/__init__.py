"""kiriman: the shared package of Shopee Forwarder (Malay/Indonesian *kiriman*, "a shipment").

Shipped to Lambda as a layer; imported by every handler under ``functions/`` and by the local stack.
"""

__version__ = "0.1.0"
