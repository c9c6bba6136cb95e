"""The `vigil` command's entry point: `--version` answers before anything is imported; every
other command loads the command line (typer, rich and the commands' modules)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.umask(0o077)  # whatever Vigil writes (state, keys, the lake) is its owner's alone
    if sys.argv[1:] == ["--version"]:
        from vigil import __version__

        sys.stdout.write(f"vigil {__version__}\n")
        return
    from vigil.shells.cli import main as run

    run()
