"""`python -m mailgitops` runs the CLI."""

from mailgitops.cli.entry import main

main()
