"""The `vigil` command's entry point: `--version` answers before anything is imported; every
other command loads the command line (typer, rich and the commands' modules)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from vigil import __version__

        sys.stdout.write(f"vigil {__version__}\n")
        return
    from vigil.shells.cli import main as run

    run()
