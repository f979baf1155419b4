"""Adapters to the outside (AWS services, later Shopee and carriers). The domain sees only ports."""
