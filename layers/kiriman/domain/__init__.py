"""The shipping domain: plain Python, testable without AWS. Adapters are reached through ports."""
