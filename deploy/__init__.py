"""Operator tooling: the local multi-instance cluster (``make cluster``)."""
