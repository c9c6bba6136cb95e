"""`python -m vigil` runs the command line."""

from vigil.shells.entry import main

main()
