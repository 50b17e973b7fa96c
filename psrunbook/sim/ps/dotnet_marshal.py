"""``[System.Runtime.InteropServices.Marshal]``: a SecureString's text through a BSTR.

The idiom ``[Marshal]::PtrToStringAuto([Marshal]::SecureStringToBSTR($secure))`` reads a
SecureString's plain text; pypsrp 0.9.1's ``test_psrp_multiple_commands`` runs it and the
recorded Windows PowerShell 5.1 answer (``responses/test_psrp_multiple_commands.yml``)
is ``<S>Hello World</S>``. Type names are case-insensitive in PowerShell, so the test's
``[System.Runtime.InteropServices.marshal]`` works as written.

What .NET does (docs.microsoft.com, ``System.Runtime.InteropServices.Marshal``):

- ``SecureStringToBSTR(s)`` allocates an unmanaged BSTR holding a copy of the text and
  returns its address, an ``IntPtr``; ``$null`` throws ArgumentNullException.
- ``PtrToStringBSTR(ptr)`` reads the BSTR by its length prefix; ``PtrToStringUni`` and
  ``PtrToStringAuto`` (Unicode on Windows: ``SystemDefaultCharSize`` is 2) read up to
  the first NUL, and give ``$null`` for ``IntPtr.Zero``.
- ``ZeroFreeBSTR(ptr)`` zeroes and frees the BSTR.

The lab keeps each BSTR with the ``IntPtr`` object that points at it (no process-wide
heap: a pointer means something only inside the one process that allocated it). An
``IntPtr`` is a number-like value in PowerShell, serialised as an ``Obj`` of type
``System.IntPtr`` whose ToString is the address. Reading memory the lab did not allocate
(any other number), or a BSTR after ``ZeroFreeBSTR`` (undefined behaviour on Windows:
freed memory), is refused as unsupported rather than answered with a made-up string.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from psrunbook.sim.objects import PSHashtable, PSInt64, PSObject, SecureStringValue
from psrunbook.sim.ps.values import NOTHING, to_string, type_name_of

if TYPE_CHECKING:
    from tree_sitter import Node

    from psrunbook.sim.ps.evaluator_api import EvaluatorApi
    from psrunbook.sim.ps.exceptions import ScriptError

MARSHAL = "runtime.interopservices.marshal"
"""The folded short name ``[System.Runtime.InteropServices.Marshal]`` arrives under."""

_INTPTR_TYPES = ("System.IntPtr", "System.ValueType", "System.Object")
_ADDRESSES = itertools.count(0x1F5_2A40_0000, 0x40)
"""Addresses shaped like a 64-bit process heap's; only their distinctness matters."""


class _Bstr:
    """One BSTR from SecureStringToBSTR: its text until ZeroFreeBSTR frees it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.address = next(_ADDRESSES)
        self.freed = False

    def to_int64(self) -> PSInt64:
        """``IntPtr.ToInt64()``: the address."""
        return PSInt64(self.address)


def intptr(block: _Bstr) -> PSObject:
    """The IntPtr pointing at ``block``; it carries the block, as the address would."""
    return PSObject(
        _INTPTR_TYPES,
        PSHashtable(),
        to_string=str(block.address),
        methods={"ToInt64": block.to_int64},
    )


class Marshal:
    """The Marshal methods of one call, raising the evaluator's errors."""

    def __init__(self, ev: EvaluatorApi, node: Node) -> None:
        self._ev = ev
        self._node = node

    def call(self, name: str, args: list[Any]) -> Any:
        """``[Marshal]::name(args)`` for the methods modelled here; others refused."""
        methods: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
            "securestringtobstr": ("SecureStringToBSTR", self.secure_string_to_bstr),
            "ptrtostringauto": ("PtrToStringAuto", self.ptr_to_string_uni),
            "ptrtostringuni": ("PtrToStringUni", self.ptr_to_string_uni),
            "ptrtostringbstr": ("PtrToStringBSTR", self.ptr_to_string_bstr),
            "zerofreebstr": ("ZeroFreeBSTR", self.zero_free_bstr),
        }
        if name not in methods or len(args) != 1:
            raise self._ev.unsupported(self._node, f"static method [Marshal]::{name}()")
        method, action = methods[name]
        return action(args[0], method)

    def secure_string_to_bstr(self, value: Any, method: str) -> PSObject:
        if value is None:
            raise self._exception(
                method,
                "Value cannot be null.\r\nParameter name: s",
                "ArgumentNullException",
            )
        if not isinstance(value, SecureStringValue):
            raise self._ev.runtime_fail(
                f'Cannot convert argument "s", with value: "{to_string(value)}", for '
                '"SecureStringToBSTR" to type "System.Security.SecureString": "Cannot '
                f'convert the "{to_string(value)}" value of type "{type_name_of(value)}" to type '
                '"System.Security.SecureString"."',
                "MethodArgumentConversionInvalidCastArgument",
                "NotSpecified",
                exception_type="System.Management.Automation.MethodException",
            )
        return intptr(_Bstr(value.plaintext))

    def ptr_to_string_uni(self, pointer: Any, method: str) -> str | None:
        """Unicode up to the first NUL; ``IntPtr.Zero`` gives ``$null`` (documented)."""
        if _is_zero(pointer):
            return None
        return self._block(pointer, method).text.split("\0", 1)[0]

    def ptr_to_string_bstr(self, pointer: Any, method: str) -> str:
        """The whole BSTR by its length prefix, NULs included. UNVERIFIED: .NET Framework
        4.x's answer for ``IntPtr.Zero``; the lab refuses it (no BSTR there)."""
        return self._block(pointer, method).text

    def zero_free_bstr(self, pointer: Any, method: str) -> object:
        """Frees the BSTR; a second free is undefined on Windows, so it is refused."""
        self._block(pointer, method).freed = True
        return NOTHING

    def _block(self, pointer: Any, method: str) -> _Bstr:
        """The live BSTR ``pointer`` points at; anything else is memory the lab cannot
        read faithfully (Windows would read whatever is there, or crash)."""
        block = _bstr_of(pointer)
        if block is None:
            raise self._ev.unsupported(
                self._node, f"[Marshal]::{method}() of memory the lab did not allocate"
            )
        if block.freed:
            raise self._ev.unsupported(
                self._node, f"[Marshal]::{method}() of a BSTR freed by ZeroFreeBSTR"
            )
        return block

    def _exception(self, method: str, message: str, error_id: str) -> ScriptError:
        return self._ev.runtime_fail(
            f'Exception calling "{method}" with "1" argument(s): "{message}"',
            error_id,
            "NotSpecified",
            exception_type="System.Management.Automation.MethodInvocationException",
        )


def _bstr_of(pointer: Any) -> _Bstr | None:
    """The BSTR an IntPtr from SecureStringToBSTR carries, else None."""
    if not isinstance(pointer, PSObject) or pointer.type_names[:1] != _INTPTR_TYPES[:1]:
        return None
    owner = getattr(pointer.methods.get("ToInt64"), "__self__", None)
    return owner if isinstance(owner, _Bstr) else None


def _is_zero(pointer: Any) -> bool:
    """``IntPtr.Zero`` or a plain 0 (PowerShell converts it to IntPtr.Zero)."""
    return isinstance(pointer, int) and not isinstance(pointer, bool) and pointer == 0
