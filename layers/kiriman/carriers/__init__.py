"""Carrier adapters behind one interface (:mod:`kiriman.carriers.base`), found through the registry."""
