"""Accounts as the lab's nodes resolve them: spellings to one account, accounts to SIDs.

Windows compares principals by security identifier, not by how a name is written:
``CONTOSO\\x``, ``contoso.com\\x`` and ``x@contoso.com`` are one account, and Get-Acl
shows it as ``CONTOSO\\x``. A script that compares names as written re-grants on every
run; one that translates both sides to SIDs (``NTAccount.Translate``,
``GetAccessRules(..., [SecurityIdentifier])``) does not. The lab therefore resolves:

- the lab domain's NetBIOS name (``SIMLAB``) and its DNS name (``simlab.local``, the lab's
  CHOICE) in ``DOMAIN\\name`` and ``name@domain`` to the NetBIOS form;
- well-known accounts to their well-known SIDs (S-1-5-32-544 BUILTIN\\Administrators, ...);
- ``NT SERVICE\\<service>`` to S-1-5-80 followed by the SHA-1 of the upper-cased service
  name in UTF-16LE as five little-endian 32-bit numbers (the per-service SID scheme;
  UNVERIFIED in shared/facts, only its uniqueness matters here);
- any other account to a stable S-1-5-21 domain SID.

An account the node does not know resolves to nothing, as IdentityNotMappedException.
"""

from __future__ import annotations

import hashlib
import struct

from psrunbook.sim.lab.cluster_model import fold

WELL_KNOWN = {
    "builtin\\administrators": "S-1-5-32-544",
    "builtin\\users": "S-1-5-32-545",
    "nt authority\\system": "S-1-5-18",
    "nt authority\\network service": "S-1-5-20",
    "nt authority\\local service": "S-1-5-19",
    "nt authority\\authenticated users": "S-1-5-11",
    "nt authority\\service": "S-1-5-6",
    "everyone": "S-1-1-0",
    "creator owner": "S-1-3-0",
}


def dns_domain(domain: str) -> str:
    """The lab domain's DNS name (CHOICE: ``<netbios>.local``)."""
    return f"{domain}.local".lower()


def normalize(domain: str, name: str) -> str:
    """``simlab.local\\x`` and ``x@simlab.local`` (or ``x@SIMLAB``) as ``SIMLAB\\x``."""
    text = name.strip()
    user, at, where = text.rpartition("@")
    if at and "\\" not in text and fold(where) in (fold(domain), dns_domain(domain)):
        return f"{domain}\\{user}"
    prefix, sep, rest = text.partition("\\")
    if sep and fold(prefix) == dns_domain(domain):
        return f"{domain}\\{rest}"
    return text


def resolve(known: list[str], domain: str, name: str) -> str | None:
    """The account as the node knows it (its spelling), or None when it does not."""
    wanted = fold(normalize(domain, name))
    for principal in known:
        if fold(principal) == wanted:
            return principal
    short = [p for p in known if fold(p.split("\\")[-1]) == wanted and "\\" not in wanted]
    return short[0] if len(short) == 1 else None


def sid_of(domain: str, account: str) -> str:
    """The SID of an account the node knows (``resolve``'s answer)."""
    folded = fold(account)
    if folded in WELL_KNOWN:
        return WELL_KNOWN[folded]
    prefix, _, rest = account.partition("\\")
    if fold(prefix) == "nt service":
        digest = hashlib.sha1(rest.upper().encode("utf-16-le"), usedforsecurity=False).digest()
        return "S-1-5-80-" + "-".join(str(n) for n in struct.unpack("<5I", digest))
    domain_digest = hashlib.sha256(fold(domain).encode()).digest()
    parts = struct.unpack("<3I", domain_digest[:12])
    rid = 1000 + int.from_bytes(hashlib.sha256(folded.encode()).digest()[:3], "little")
    return "S-1-5-21-" + "-".join(str(n) for n in parts) + f"-{rid}"
