"""Registry provider: HKLM keys and values of the node, and the *-ItemProperty cmdlets.

A key's default value is the value named ``""``; PowerShell shows and addresses it as
``(default)``. Value kinds are inferred as ``RegistryKey.SetValue(name, object)`` does
(int -> DWord, str -> String, list of str -> MultiString, bytes -> Binary) unless a
``-Type`` / ``-PropertyType`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from psrunbook.sim.lab import error_records, write_access
from psrunbook.sim.lab.cluster_model import Registry, RegistryKey, fold
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, flag, param, strings, text
from psrunbook.sim.lab.paths import BadDrive, RegPath, has_wildcard, parse, reg_matches
from psrunbook.sim.lab.windows_registry import UNMODELLED_KEY, windows_owned
from psrunbook.sim.objects import PSHashtable, PSObject, provider_info
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec, CommandRefused

DEFAULT_NAME = "(default)"
KINDS = {
    "string": "String",
    "expandstring": "ExpandString",
    "binary": "Binary",
    "dword": "DWord",
    "qword": "QWord",
    "multistring": "MultiString",
    "unknown": "Unknown",
}


def value_name(name: str) -> str:
    """``(default)`` and ``""`` both address the default value."""
    return "" if fold(name) in ("", DEFAULT_NAME) else name


def shown_name(name: str) -> str:
    return DEFAULT_NAME if name == "" else name


def infer_kind(value: Any) -> str:
    if isinstance(value, bool | int):
        return "DWord"
    if isinstance(value, bytes):
        return "Binary"
    if isinstance(value, list):
        return "MultiString"
    return "String"


def convert(value: Any, kind: str) -> object:
    """The value as the registry stores it for ``kind``."""
    if kind in ("DWord", "QWord"):
        return int(value) if value is not None else 0
    if kind == "MultiString":
        return [text(v) for v in (value if isinstance(value, list) else [value])]
    if kind == "Binary":
        if isinstance(value, bytes):
            return value
        return bytes(int(v) for v in (value if isinstance(value, list) else [value]))
    return text(value)


def key_object(registry: Registry, path: RegPath, key: RegistryKey) -> PSObject:
    """A ``Microsoft.Win32.RegistryKey`` as ``Get-Item``/``Get-ChildItem`` return it."""

    def get_value(name: Any = "", default: Any = None, *_: Any) -> Any:
        found = key.get(value_name(text(name)))
        return default if found is None else found.data

    def get_value_names(*_: Any) -> list[str]:
        return [v.name for v in key.values.values()]

    parent = path.parent()
    props = PSHashtable(
        [
            ("Name", path.full_name),
            ("Property", [shown_name(v.name) for v in key.values.values()]),
            ("SubKeyCount", len(registry.subkeys(path.rel))),
            ("ValueCount", len(key.values)),
            ("PSPath", path.ps_path),
            ("PSParentPath", parent.ps_path if parent is not None else ""),
            ("PSChildName", path.name),
            ("PSDrive", "HKLM"),
            ("PSProvider", provider_info("Registry")),
            ("PSIsContainer", True),
        ]
    )
    return PSObject(
        ("Microsoft.Win32.RegistryKey", "System.MarshalByRefObject", "System.Object"),
        props,
        to_string=path.full_name,
        methods={"GetValue": get_value, "GetValueNames": get_value_names},
    )


def _ps_props(path: RegPath) -> list[tuple[str, Any]]:
    parent = path.parent()
    return [
        ("PSPath", path.ps_path),
        ("PSParentPath", parent.ps_path if parent is not None else ""),
        ("PSChildName", path.name),
        ("PSDrive", "HKLM"),
        ("PSProvider", provider_info("Registry")),
    ]


def values_object(path: RegPath, key: RegistryKey, names: list[str] | None) -> PSObject:
    items: list[tuple[str, Any]] = []
    for value in key.values.values():
        if names is None or any(fold(value_name(n)) == fold(value.name) for n in names):
            items.append((shown_name(value.name), value.data))
    return PSObject(properties=PSHashtable([*items, *_ps_props(path)]))


class RegistryCmdlet(SimCmdlet):
    """Resolves ``-Path``/``-LiteralPath`` to a key of this node's registry."""

    @property
    def registry(self) -> Registry:
        return self.cluster.node(self.node).registry

    def paths(self, args: PSHashtable) -> list[tuple[str, bool]]:
        """Each raw path with whether it is literal (``-LiteralPath``) or a wildcard path."""
        literal = strings(arg(args, "LiteralPath"))
        if literal:
            return [(raw, True) for raw in literal]
        return [(raw, False) for raw in strings(arg(args, "Path"))]

    def keys_at(self, raw: str, literal: bool) -> list[tuple[RegPath, RegistryKey]]:
        """Keys a path names: ``-Path`` expands ``*`` ``?`` ``[..]``, ``-LiteralPath`` does not.

        A wildcard path that matches nothing gives nothing and no error, while a missing
        literal path is ItemNotFound (PowerShell's LocationGlobber raises ItemNotFound only
        for a path without wildcard characters; from the PowerShell source, UNVERIFIED in
        shared/facts).
        """
        path = self._reg_path(raw)
        if literal or not has_wildcard(raw):
            return [self.key_at(raw)]
        found = []
        for rel in reg_matches(path, [k.path for k in self.registry.keys.values()]):
            key = self.registry.key(rel)
            if key is not None:
                found.append((RegPath(tuple(p for p in rel.split("\\") if p)), key))
        return found

    def _all_keys(self, args: PSHashtable) -> Iterator[tuple[RegPath, RegistryKey]]:
        """Every key the path parameters name, in order; the first missing one raises."""
        for raw, literal in self.paths(args):
            yield from self.keys_at(raw, literal)

    def _reg_path(self, raw: str) -> RegPath:
        try:
            # A relative path is a FileSystem path whatever the location: refused below.
            path = parse(raw, "C:\\")
        except BadDrive as exc:
            raise CmdletError(
                error_records.drive_not_found(
                    self.spec.name, self.spec.implementing_type, exc.drive
                ),
                terminating=False,
            ) from exc
        if not isinstance(path, RegPath):
            raise CmdletError(
                error_records.invalid_argument(
                    self.spec.name,
                    self.spec.implementing_type,
                    f"The path '{raw}' is not a registry path; only HKLM: values are simulated.",
                    "NotSupported",
                ),
                terminating=False,
            )
        self.refuse_redirected(path, raw)
        return path

    def key_at(self, raw: str) -> tuple[RegPath, RegistryKey]:
        path = self._reg_path(raw)
        key = self.registry.key(path.rel)
        if key is None and windows_owned(path.rel):
            raise CommandRefused(f"{self.spec.name} of {raw} ({UNMODELLED_KEY})")
        if key is None:
            raise CmdletError(
                error_records.path_not_found(self.spec.name, self.spec.implementing_type, raw),
                terminating=False,
            )
        return path, key


_PATH_PARAMS = (
    param("Path", "string[]", mandatory=True, position=0, sets=("Path",), by_name=True),
    param("LiteralPath", "string[]", mandatory=True, aliases=("PSPath", "LP"),
          sets=("LiteralPath",), by_name=True),
)  # fmt: skip
"""``-Path`` and ``-LiteralPath`` of the *-ItemProperty cmdlets: mandatory in their sets
(GetPropertyCommand's ``[Parameter(Mandatory = true)]``, each 5.1 reference's
``[-Path] <String[]>``), so ``$null`` or ``''`` is a binding error as on Windows."""

_OPTIONAL_PATH_PARAMS = (
    param("Path", "string[]", position=0, sets=("Path",), by_name=True),
    _PATH_PARAMS[1],
)
"""Get-ItemPropertyValue's: ``[[-Path] <String[]>]`` (the location without one)."""


class GetItemProperty(RegistryCmdlet):
    spec = CmdletSpec(
        "Get-ItemProperty",
        error_records.ps_type("GetItemPropertyCommand"),
        (*_PATH_PARAMS, param("Name", "string[]", position=1, aliases=("PSProperty",))),
        default_set="Path",
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        names = strings(arg(args, "Name")) or None
        for raw, literal in self.paths(args):
            try:
                found = self.keys_at(raw, literal)
            except CmdletError as exc:
                ctx.write_error(exc.record)
                continue
            for path, key in found:
                self._emit(ctx, path, key, names)
        return None

    def _emit(
        self, ctx: CmdletContext, path: RegPath, key: RegistryKey, names: list[str] | None
    ) -> None:
        missing = [n for n in names or [] if key.get(value_name(n)) is None]
        for name in missing:
            ctx.write_error(
                error_records.property_not_found(
                    self.spec.name, self.spec.implementing_type, path.full_name, name
                )
            )
        if names is not None and len(missing) == len(names):
            return
        if names is None and not key.values:
            return
        ctx.write_output(values_object(path, key, names))


class GetItemPropertyValue(RegistryCmdlet):
    spec = CmdletSpec(
        "Get-ItemPropertyValue",
        error_records.ps_type("GetItemPropertyValueCommand"),
        (*_OPTIONAL_PATH_PARAMS, param("Name", "string[]", mandatory=True, position=1)),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        for path, key in self._all_keys(args):
            for name in strings(arg(args, "Name")):
                found = key.get(value_name(name))
                if found is None:
                    raise CmdletError(
                        error_records.property_not_found(
                            self.spec.name, self.spec.implementing_type, path.full_name, name
                        ),
                        terminating=False,
                    )
                ctx.write_output(found.data)
        return None


class SetItemProperty(RegistryCmdlet):
    spec = CmdletSpec(
        "Set-ItemProperty",
        error_records.ps_type("SetItemPropertyCommand"),
        (
            *_PATH_PARAMS,
            param(
                "Name", "string", mandatory=True, position=1, aliases=("PSProperty",), by_name=True
            ),
            param("Value", "object", position=2, by_name=True, pipeline=True),
            param("Type", "string", aliases=("PropertyType",)),
            param("PassThru", "switch"),
            param("Force", "switch"),
        ),
        default_set="Path",
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        name = value_name(text(arg(args, "Name")))
        value = arg(args, "Value")
        kind_arg = arg(args, "Type")
        for path, key in self._all_keys(args):
            write_access.check_registry_write(self.cluster, self.spec, path.full_name)
            existing = key.get(name)
            if kind_arg is not None:
                kind = KINDS.get(fold(text(kind_arg)), "String")
            elif existing is not None:
                kind = existing.kind
            else:
                kind = infer_kind(value)
            if key.set(name, convert(value, kind), kind):
                self.changed(f"{path.display}|{shown_name(name)}")
            if flag(args, "PassThru"):
                ctx.write_output(values_object(path, key, [shown_name(name)]))
        return None


class NewItemProperty(RegistryCmdlet):
    spec = CmdletSpec(
        "New-ItemProperty",
        error_records.ps_type("NewItemPropertyCommand"),
        (
            *_PATH_PARAMS,
            param(
                "Name", "string", mandatory=True, position=1, aliases=("PSProperty",), by_name=True
            ),
            param("PropertyType", "string", aliases=("Type",), by_name=True),
            param("Value", "object", by_name=True),
            param("Force", "switch"),
        ),
        default_set="Path",
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        name = value_name(text(arg(args, "Name")))
        value = arg(args, "Value")
        kind_arg = arg(args, "PropertyType")
        kind = (
            KINDS.get(fold(text(kind_arg)), "String") if kind_arg is not None else infer_kind(value)
        )
        for path, key in self._all_keys(args):
            write_access.check_registry_write(self.cluster, self.spec, path.full_name)
            if key.get(name) is not None and not flag(args, "Force"):
                ctx.write_error(
                    error_records.property_exists(
                        self.spec.name, self.spec.implementing_type, path.full_name, name
                    )
                )
                continue
            if key.set(name, convert(value, kind), kind):
                self.changed(f"{path.display}|{shown_name(name)}")
            ctx.write_output(values_object(path, key, [shown_name(name)]))
        return None


class RemoveItemProperty(RegistryCmdlet):
    spec = CmdletSpec(
        "Remove-ItemProperty",
        error_records.ps_type("RemoveItemPropertyCommand"),
        (
            *_PATH_PARAMS,
            param("Name", "string[]", mandatory=True, position=1, aliases=("PSProperty",)),
            param("Force", "switch"),
        ),
        default_set="Path",
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        for path, key in self._all_keys(args):
            write_access.check_registry_write(self.cluster, self.spec, path.full_name)
            for name in strings(arg(args, "Name")):
                folded = fold(value_name(name))
                if folded not in key.values:
                    ctx.write_error(
                        error_records.property_not_found(
                            self.spec.name, self.spec.implementing_type, path.full_name, name
                        )
                    )
                    continue
                del key.values[folded]
                self.changed(f"{path.display}|{name}")
        return None


REGISTRY_CMDLETS: tuple[type[RegistryCmdlet], ...] = (
    GetItemProperty,
    GetItemPropertyValue,
    SetItemProperty,
    NewItemProperty,
    RemoveItemProperty,
)
