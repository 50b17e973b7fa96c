"""The administrator-rights test scripts make, account-to-SID translation, and nothing more
of .NET's security API.

A preflight asks, before it changes anything, whether the session may administer the
node::

    ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
    ).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)

This module models exactly that: ``WindowsIdentity.GetCurrent()`` gives the session's user,
the cast wraps it in a ``WindowsPrincipal``, and ``IsInRole`` answers for the built-in
Administrators role (``WindowsBuiltInRole.Administrator``, value 544, the group
``S-1-5-32-544``). The answer is the lab's: its remote user is an administrator unless the
lab says otherwise. Any other role is refused as unsupported rather than guessed.

Second, principals compared by SID rather than by spelling (issue 12)::

    ([Security.Principal.NTAccount]$name).Translate([Security.Principal.SecurityIdentifier]).Value

The cast makes an ``NTAccount``; ``Translate`` to ``SecurityIdentifier`` asks the session's
account resolver (the lab's accounts) and fails with .NET's IdentityNotMappedException
message when the account is unknown. No other target type is modelled.

UNVERIFIED (not in shared/facts): that a remote PSRP session of an Administrators member
runs with the full (elevated) token, so ``IsInRole`` is true there; remote UAC filtering
applies to local accounts other than the built-in Administrator. The lab's option is the
answer Windows would give for the account, whatever the reason.
"""

from __future__ import annotations

from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject

IDENTITY_TYPE = "System.Security.Principal.WindowsIdentity"
PRINCIPAL_TYPE = "System.Security.Principal.WindowsPrincipal"
ROLE_TYPE = "System.Security.Principal.WindowsBuiltInRole"
ADMINISTRATORS_RID = 544
ADMINISTRATOR_ROLE = PSEnum(ROLE_TYPE, "Administrator", ADMINISTRATORS_RID)


class WindowsIdentity(PSObject):
    """``WindowsIdentity.GetCurrent()``: the session's user and whether it is an admin."""

    administrator: bool = True


class WindowsPrincipal(PSObject):
    """``[Security.Principal.WindowsPrincipal]$identity``: answers ``IsInRole``."""

    administrator: bool = True


NTACCOUNT_TYPE = "System.Security.Principal.NTAccount"
SID_TYPE = "System.Security.Principal.SecurityIdentifier"
IDENTITY_REFERENCE = "System.Security.Principal.IdentityReference"
NOT_MAPPED = "Some or all identity references could not be translated."


class NTAccount(PSObject):
    """``[Security.Principal.NTAccount]'DOMAIN\\name'``: a name, translatable to a SID."""


def nt_account(name: str) -> NTAccount:
    return NTAccount(
        type_names=(NTACCOUNT_TYPE, IDENTITY_REFERENCE, "System.Object"),
        properties=PSHashtable([("Value", name)]),
        to_string=name,
    )


def security_identifier(sid: str) -> PSObject:
    return PSObject(
        type_names=(SID_TYPE, IDENTITY_REFERENCE, "System.Object"),
        properties=PSHashtable([("Value", sid)]),
        to_string=sid,
    )


def names_security_identifier(type_name: str) -> bool:
    folded = type_name.casefold().removeprefix("system.")
    return folded == "security.principal.securityidentifier"


def current_identity(user: str, administrator: bool) -> WindowsIdentity:
    """The identity of the session's user, as ``GetCurrent()`` returns it."""
    return WindowsIdentity(
        type_names=(IDENTITY_TYPE, "System.Security.Claims.ClaimsIdentity", "System.Object"),
        properties=PSHashtable([("Name", user), ("IsAuthenticated", True), ("IsSystem", False)]),
        to_string=IDENTITY_TYPE,
        administrator=administrator,
    )


def principal_of(identity: WindowsIdentity) -> WindowsPrincipal:
    """The principal of an identity (the constructor PowerShell's cast calls)."""
    return WindowsPrincipal(
        type_names=(PRINCIPAL_TYPE, "System.Security.Claims.ClaimsPrincipal", "System.Object"),
        properties=PSHashtable([("Identity", identity)]),
        to_string=PRINCIPAL_TYPE,
        administrator=identity.administrator,
    )


def is_administrator_role(role: object) -> bool:
    """Whether ``role`` names the built-in Administrators role (the enum or its value)."""
    if isinstance(role, PSEnum):
        return role.type_name == ROLE_TYPE and role.value == ADMINISTRATORS_RID
    return False
