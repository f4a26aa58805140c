"""Edges: everything that touches files, the network, the clock or a third-party runtime."""
