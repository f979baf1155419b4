"""Shopee Open Platform v2: signing, typed errors, tolerant payload models and the HTTP client.

Built to Shopee's own documents: the developer guide articles "API calls" and "Authorization and
Authentication", the "Push Mechanism" article, and the API reference pages under
https://open.shopee.com/documents/v2/ (v2.order.*, v2.logistics.*, v2.public.*, v2.push.*).
"""
