"""pydantic's plugins stay off in the ``psrunbook`` command unless the operator asks for them.

pydantic hands every value its models validate to each plugin installed in the same
environment (the ``pydantic`` entry-point group: e.g. an observability SDK that sends
validations to a service). psrunbook's models validate the inventory (user names, the
``password_command`` of a secret manager), runbook parameters and what nodes answer, so a
plugin someone installed for another tool would see all of it. The console script
therefore sets ``PYDANTIC_DISABLE_PLUGINS=__all__`` (pydantic's documented switch) unless
the variable is already set; an operator who wants plugins sets it themselves, e.g. to an
empty value (every plugin loads) or to the names to leave out.

It also spares every command that validates a model the search for plugins: pydantic
reads the entry points of every installed distribution on its first model (about 15 ms
of a ``run --sim`` in a virtualenv with the test tools, issue 16).

Processes the command starts inherit the variable, as they inherit the rest of its
environment (``sim serve --processes`` hands its own children that environment too).
"""

from __future__ import annotations

import os

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
"""The environment variable pydantic reads before it loads plugins."""

ALL = "__all__"
"""The value that turns every plugin off (pydantic also accepts ``1`` and ``true``)."""


def keep_plugins_off_unless_asked() -> None:
    """Set :data:`VARIABLE` to :data:`ALL` unless the environment already sets it.

    Called before anything imports pydantic; pydantic reads the variable each time it
    looks for plugins, so the first model built afterwards already sees it.
    """
    os.environ.setdefault(VARIABLE, ALL)
