"""`python -m mailgitops` runs the CLI."""

from mailgitops.cli.main import main

main()
