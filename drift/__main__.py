"""`python -m drift` runs the CLI."""

from drift.cli import main

main()
