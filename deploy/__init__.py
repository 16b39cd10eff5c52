"""Operator tooling: the server's launcher (``launcher.py``) and the local multi-instance cluster (``make cluster``)."""
