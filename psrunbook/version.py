"""psrunbook's version: the one place it is written.

The distribution's metadata takes it from here (``[tool.setuptools.dynamic]`` in
pyproject.toml), so the two cannot differ, and every command reads a constant instead
of asking ``importlib.metadata``: that import (with zipfile, csv and the metadata's
email parser) and the look-up through ``sys.path`` were about 6 ms of every run's
start-up, ``--help`` included (issue 16).
"""

VERSION = "0.1.0"
