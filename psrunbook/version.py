"""psrunbook's version: the one place it is written.

The distribution's metadata takes it from here (``[tool.setuptools.dynamic]`` in
pyproject.toml), so the two cannot differ, and every command reads a constant instead
of asking ``importlib.metadata`` for the installed distribution's version, a search
through ``sys.path`` of about 3 ms at every start, ``--help`` included (issue 16).
"""

VERSION = "0.1.0"
