"""The services every Windows Server node has, so the lab can refuse by name the ones it
does not model.

A lab node has the services its lab file gives it (the cluster service, WinRM, SQL
Server's, SSIS's...); Windows has a hundred more. Answering "Cannot find any service with
service name 'W32Time'" for one of them would tell a script the service does not exist
and send it down a branch it never takes on Windows, so the service cmdlets refuse such a
name instead, and answer "not found" only for names Windows does not know either.

The catalog is ``psrunbook/data/windows_services.json``: every service Microsoft's
"Guidance on disabling system services on Windows Server 2016 with Desktop Experience"
lists as *Always installed* (on Server Core too). UNVERIFIED for Windows Server 2019: the
page is 2016's (2019 applies its guidance by default); a service 2019 no longer installs
is refused by name, the stricter answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType


@cache
def windows_services() -> Mapping[str, str]:
    """The services every Windows Server node has: folded key name -> key name."""
    raw = resources.files("psrunbook").joinpath("data", "windows_services.json").read_text("utf-8")
    return MappingProxyType({name.casefold(): name for name in json.loads(raw)["services"]})


def windows_has_service(name: str) -> bool:
    """Whether every Windows Server node has the service ``name`` (its key name)."""
    return name.casefold() in windows_services()
