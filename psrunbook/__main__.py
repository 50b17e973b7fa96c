"""``python -m psrunbook``: the same command line as the ``psrunbook`` script."""

from psrunbook.cli.entry import console_script

console_script()
