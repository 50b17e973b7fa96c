"""``python -m psrunbook``: the same command line as the ``psrunbook`` script."""

from psrunbook.cli.app import console_script

console_script()
