"""The self-contained demo: a sample producer, consumers that call it, and drift watching."""
