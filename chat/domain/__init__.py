"""The domain layer: what pages, sockets and the CLI all call."""
