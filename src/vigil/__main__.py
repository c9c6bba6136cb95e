"""`python -m vigil` runs the command line."""

from vigil.shells.cli import main

main()
