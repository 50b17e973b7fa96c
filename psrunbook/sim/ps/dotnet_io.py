""".NET file, byte, encoding and hashing members, over the node's file model.

pypsrp's ``Client.copy``/``Client.fetch`` run ``copy.ps1``/``fetch.ps1`` (in pypsrp's
``pwsh_scripts``) as sent. Those scripts, like many, reach past the cmdlets into .NET:
``[System.IO.File]::Create/Delete/Move``, ``[System.IO.Path]::GetTempFileName()``,
``FileStream`` ``Read``/``Write``/``Close``, ``New-Object System.IO.FileInfo``,
``New-Object byte[] n``, ``[System.Convert]::From/ToBase64String``,
``[System.BitConverter]::ToString``, ``[System.Text.Encoding]::UTF8``, SHA1's
``TransformBlock``/``TransformFinalBlock``/``Hash`` and
``[System.Environment]::ExpandEnvironmentVariables``. This module models those members
(their .NET behaviour as documented on learn.microsoft.com for each member; exception
texts are .NET Framework 4.x's en-US ones, UNVERIFIED against a recording) and nothing
else of those types; the file model behind them is the lab's, reached through
:class:`DotNetFiles` so the language never imports the lab.

A .NET exception in a method surfaces as PowerShell shows it: a
MethodInvocationException 'Exception calling "Name" with "N" argument(s): "message"'
whose error id is the .NET exception's type name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ntpath
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from psrunbook.sim.objects import ByteArray, PSHashtable, PSObject
from psrunbook.sim.ps import records
from psrunbook.sim.ps.dotnet_environment import (
    environment_target,
    get_environment_variable,
    get_environment_variables,
    set_environment_variable,
)
from psrunbook.sim.ps.values import CONVERTERS, NOTHING, ConversionError, as_list, to_int, to_string

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator_api import EvaluatorApi
    from psrunbook.sim.ps.exceptions import ScriptError

_OBJ = "System.Object"
_MARSHAL = "System.MarshalByRefObject"
_NOT_HANDLED = object()


class DotNetIOError(Exception):
    """A .NET IO exception (``exception`` is its type's short name) with its message."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message


class DotNetFiles(Protocol):
    """One node's files as .NET's System.IO sees them, for the session's user.

    Paths are full Windows paths; every method raises :class:`DotNetIOError` as the
    .NET member does (a missing folder is DirectoryNotFoundException, ...)."""

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"`` or None when nothing is there."""

    def read(self, path: str) -> bytes: ...

    def write(self, path: str, data: bytes) -> None:
        """Create or replace the file (its folder must exist)."""

    def delete(self, path: str) -> None:
        """Delete a file; no error when it does not exist (File.Delete)."""

    def move(self, source: str, destination: str) -> None: ...

    def temp_file(self, folder: str) -> str:
        """Create an empty ``tmpXXXX.tmp`` in ``folder``; returns its path."""



def full_path(text: str, location: str) -> str:
    """``GetUnresolvedProviderPathFromPSPath``/``Path.GetFullPath``: ``text`` made
    absolute against ``location`` (the session's current folder), ``.``/``..`` folded."""
    text = re.sub(r"^(?:Microsoft\.PowerShell\.Core\\)?FileSystem::", "", text, flags=re.I)
    text = text.replace("/", "\\")
    if re.match(r"^[A-Za-z]:\\", text):
        joined = text
    elif re.match(r"^[A-Za-z]:$", text):
        joined = text + "\\"
    elif text.startswith("\\"):
        joined = location[:2] + text
    else:
        joined = ntpath.join(location, text)
    return ntpath.normpath(joined)


def location_of(user: str) -> str:
    """The current folder of a remote session: the user's Documents, as on Windows."""
    name = user.rsplit("\\", maxsplit=1)[-1].split("@", maxsplit=1)[0]
    return f"C:\\Users\\{name}\\Documents"


def to_bytes(value: Any) -> bytes:
    """A byte[] argument: bytes of a ByteArray/list of numbers."""
    if isinstance(value, bytes | bytearray | ByteArray):
        return bytes(value)  # a ByteArray holds 0..255 only
    return bytes(to_int(v) & 0xFF for v in as_list(value))


class DotNet:
    """The members of one evaluator's session: its files, its user's location."""

    def __init__(self, ev: EvaluatorApi, files: DotNetFiles | None, user: str) -> None:
        self._ev = ev
        self._files = files
        self._user = user

    @property
    def evaluator(self) -> EvaluatorApi:
        """The evaluator whose session these members belong to."""
        return self._ev

    # -- errors ----------------------------------------------------------------------

    def _error(self, method: str, argc: int, error: DotNetIOError) -> ScriptError:
        return self._ev.runtime_fail(
            f'Exception calling "{method}" with "{argc}" argument(s): "{error.message}"',
            error.exception,
            "NotSpecified",
            exception_type="System.Management.Automation.MethodInvocationException",
        )

    def method_error(self, method: str, argc: int, exception: str, message: str) -> ScriptError:
        """The MethodInvocationException of a .NET ``exception`` thrown by ``method``."""
        return self._error(method, argc, DotNetIOError(exception, message))

    def _call(self, method: str, argc: int, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except DotNetIOError as error:
            raise self._error(method, argc, error) from None

    def files(self, construct: str) -> DotNetFiles:
        if self._files is None:
            raise self._ev.unsupported(self._ev.statement, f"{construct} (no file model)")
        return self._files

    def path_of(self, value: Any) -> str:
        text = to_string(value)
        if not text:
            raise DotNetIOError("ArgumentException", "The path is not of a legal form.")
        return full_path(text, location_of(self._user))

    # -- static members --------------------------------------------------------------

    def static_member(self, short: str, name: str) -> Any:
        if short == "environmentvariabletarget":
            target = environment_target(name)
            return _NOT_HANDLED if target is None else target
        if (short, name) in (("text.encoding", "utf8"), ("text.encoding", "default")):
            return encoding("utf-8" if name == "utf8" else "cp1252")
        if (short, name) == ("text.encoding", "unicode"):
            return encoding("utf-16-le")
        if (short, name) == ("text.encoding", "ascii"):
            return encoding("ascii")
        return _NOT_HANDLED

    def call_static(self, short: str, name: str, args: list[Any]) -> Any:
        """``[type]::name(args)`` when modelled here, else :data:`_NOT_HANDLED`."""
        handler = _STATIC.get((short, name))
        if handler is None:
            return _NOT_HANDLED
        result = handler(self, args)
        if result is None and (short, name) not in _RETURNS_NULL:
            return NOTHING  # a void method writes nothing
        return result

    def _file(self, name: str, args: list[Any]) -> Any:
        files = self.files(f"[System.IO.File]::{name}()")
        method = name[:1].upper() + name[1:]
        if name == "create":
            path = self._call("Create", len(args), lambda: self.path_of(args[0]))
            self._call("Create", len(args), lambda: files.write(path, b""))
            return file_stream(self, path, writable=True)
        if name == "delete":
            self._call("Delete", 1, lambda: files.delete(self.path_of(args[0])))
            return None
        if name == "move":
            self._call("Move", 2, lambda: files.move(self.path_of(args[0]), self.path_of(args[1])))
            return None
        if name == "exists":
            try:
                return files.kind(self.path_of(args[0])) == "file"
            except DotNetIOError:
                return False
        if name == "readallbytes":
            return ByteArray(self._call(method, 1, lambda: files.read(self.path_of(args[0]))))
        if name == "open":
            return self._open(files, args)
        if name == "writealltext" and len(args) == 2:
            # .NET's File.WriteAllText(path, contents): UTF-8 without a byte order mark.
            text = to_bytes_of_text(args[1])
            self._call("WriteAllText", 2, lambda: files.write(self.path_of(args[0]), text))
            return None
        if name == "readalltext" and len(args) == 1:
            data = self._call("ReadAllText", 1, lambda: files.read(self.path_of(args[0])))
            return decode_detecting_bom(data)
        if name in ("writealltext", "readalltext"):
            raise self._ev.unsupported(
                self._ev.statement, f"[System.IO.File]::{method}() with an encoding argument"
            )
        if name == "writeallbytes":
            data = to_bytes(args[1])
            self._call(method, 2, lambda: files.write(self.path_of(args[0]), data))
            return None
        raise self._ev.unsupported(self._ev.statement, f"[System.IO.File]::{method}()")

    def _open(self, files: DotNetFiles, args: list[Any]) -> PSObject:
        """``[System.IO.File]::Open(path, mode[, access[, share]])`` for the modes the lab
        models: ``Create`` (an empty file, written through the stream), ``CreateNew``
        (IOException when the file exists), ``Open`` and ``OpenOrCreate`` to read. The
        access defaults as .NET's (ReadWrite, or Write for Append) and must fit the mode;
        the share mode is accepted and not modelled (no other process holds a lab file).
        Writing into an existing file, ``Truncate`` and ``Append`` are refused by name."""
        if not 2 <= len(args) <= 4:
            raise self._ev.unsupported(
                self._ev.statement, f"[System.IO.File]::Open() with {len(args)} arguments"
            )
        mode = to_string(args[1]).casefold()
        access = to_string(args[2]).casefold() if len(args) > 2 else "readwrite"
        path = self._call("Open", len(args), lambda: self.path_of(args[0]))
        exists = files.kind(path) == "file"
        if mode in ("create", "createnew") and access in ("write", "readwrite"):
            if mode == "createnew" and exists:
                raise self._error("Open", len(args), DotNetIOError(
                    "IOException", f"The file '{path}' already exists."))  # fmt: skip
            self._call("Open", len(args), lambda: files.write(path, b""))
            return file_stream(self, path, writable=True)
        if mode in ("open", "openorcreate") and access == "read":
            if mode == "openorcreate" and not exists:
                self._call("Open", len(args), lambda: files.write(path, b""))
            return file_stream(self, path, writable=False)
        raise self._ev.unsupported(
            self._ev.statement, f"[System.IO.File]::Open() with mode {args[1]} and access "
            f"{args[2] if len(args) > 2 else 'ReadWrite'}"
        )  # fmt: skip

    def _temp_file_name(self, args: list[Any]) -> str:
        files = self.files("[System.IO.Path]::GetTempFileName()")
        folder = self._ev.get_environment("TEMP") or "C:\\Windows\\TEMP"
        return str(self._call("GetTempFileName", 0, lambda: files.temp_file(folder)))

    def temp_path(self, args: list[Any]) -> str:
        """``[System.IO.Path]::GetTempPath()``: the first of TMP, TEMP, USERPROFILE and the
        Windows folder that is set, with one trailing backslash (the documented order)."""
        self._arguments("GetTempPath", args, 0)
        for name in ("TMP", "TEMP", "USERPROFILE"):
            value = self._ev.get_environment(name)
            if value:
                return f"{value.rstrip(chr(92))}\\"
        return "C:\\Windows\\"

    def _arguments(self, method: str, args: list[Any], count: int) -> None:
        """PowerShell's MethodException for a call with another number of arguments."""
        if len(args) != count:
            raise self._ev.fail(records.overload_not_found(method, len(args)))

    def file_info(self, path_text: Any) -> PSObject:
        """``New-Object System.IO.FileInfo path``: FullName, Name, Exists, OpenRead()."""
        path = self._call(".ctor", 1, lambda: self.path_of(path_text))
        files = self.files("System.IO.FileInfo")
        kind = files.kind(path)
        return PSObject(
            ("System.IO.FileInfo", "System.IO.FileSystemInfo", _MARSHAL, _OBJ),
            PSHashtable(
                [
                    ("FullName", path),
                    ("Name", ntpath.basename(path)),
                    ("DirectoryName", ntpath.dirname(path)),
                    ("Exists", kind == "file"),
                ]
            ),
            to_string=path,
            methods={"OpenRead": lambda: self._open_read(path)},
        )

    def _open_read(self, path: str) -> PSObject:
        return file_stream(self, path, writable=False)


def file_stream(dotnet: DotNet, path: str, *, writable: bool) -> PSObject:
    """A ``System.IO.FileStream`` on ``path``: Read/Write at its position, Length,
    Close/Dispose. A read stream sees the file's bytes as they were when opened."""
    files = dotnet.files("System.IO.FileStream")
    data = bytearray(b"" if writable else dotnet._call("OpenRead", 0, lambda: files.read(path)))
    position = [0]
    closed = [False]
    props = PSHashtable([("Name", path), ("Length", len(data)), ("Position", 0),
                         ("CanRead", not writable), ("CanWrite", writable)])  # fmt: skip

    def check(method: str, argc: int) -> None:
        if closed[0]:
            raise dotnet._error(method, argc, DotNetIOError(
                "ObjectDisposedException", "Cannot access a closed file."))  # fmt: skip

    def read(buffer: Any, offset: Any, count: Any) -> int:
        check("Read", 3)
        if writable:
            raise dotnet._error("Read", 3, DotNetIOError(
                "NotSupportedException", "Stream does not support reading."))  # fmt: skip
        start, size = to_int(offset), to_int(count)
        if not isinstance(buffer, list) or start < 0 or size < 0 or start + size > len(buffer):
            raise dotnet._error("Read", 3, DotNetIOError(
                "ArgumentException", "Offset and length were out of bounds for the array or "
                "count is greater than the number of elements from index to the end of the "
                "source collection."))  # fmt: skip
        chunk = data[position[0] : position[0] + size]
        buffer[start : start + len(chunk)] = list(chunk)
        position[0] += len(chunk)
        props["Position"] = position[0]
        return len(chunk)

    def write(buffer: Any, offset: Any, count: Any) -> None:
        check("Write", 3)
        if not writable:
            raise dotnet._error("Write", 3, DotNetIOError(
                "NotSupportedException", "Stream does not support writing."))  # fmt: skip
        raw = to_bytes(buffer)
        start, size = to_int(offset), to_int(count)
        data[position[0] : position[0] + size] = raw[start : start + size]
        position[0] += size
        props["Length"], props["Position"] = len(data), position[0]
        dotnet._call("Write", 3, lambda: files.write(path, bytes(data)))

    def close() -> None:
        closed[0] = True

    return PSObject(
        ("System.IO.FileStream", "System.IO.Stream", _MARSHAL, _OBJ),
        props,
        to_string="System.IO.FileStream",
        methods={
            "Read": read,
            "Write": write,
            "Close": close,
            "Dispose": close,
            "Flush": lambda: None,
        },
    )


def sha1() -> PSObject:
    """``[System.Security.Cryptography.SHA1CryptoServiceProvider]::Create()`` (also
    ``SHA1``): TransformBlock/TransformFinalBlock, then Hash as a byte[]."""
    state = hashlib.sha1(usedforsecurity=False)
    props = PSHashtable([("HashSize", 160), ("Hash", None)])

    def transform_block(data: Any, offset: Any, count: Any, *_: Any) -> int:
        raw = to_bytes(data)
        start, size = to_int(offset), to_int(count)
        state.update(raw[start : start + size])
        return size

    def transform_final_block(data: Any, offset: Any, count: Any) -> ByteArray:
        raw = to_bytes(data)
        start, size = to_int(offset), to_int(count)
        state.update(raw[start : start + size])
        props["Hash"] = ByteArray(state.digest())
        return ByteArray(raw[start : start + size])

    def compute_hash(data: Any) -> ByteArray:
        state.update(to_bytes(data))
        props["Hash"] = ByteArray(state.digest())
        return ByteArray(state.digest())

    return PSObject(
        (
            "System.Security.Cryptography.SHA1CryptoServiceProvider",
            "System.Security.Cryptography.SHA1",
            "System.Security.Cryptography.HashAlgorithm",
            _OBJ,
        ),
        props,
        to_string="System.Security.Cryptography.SHA1CryptoServiceProvider",
        methods={
            "TransformBlock": transform_block,
            "TransformFinalBlock": transform_final_block,
            "ComputeHash": compute_hash,
            "Dispose": lambda: None,
        },
    )


def encoding(codec: str) -> PSObject:
    """A ``System.Text.Encoding``: GetString(byte[]) and GetBytes(string)."""
    return PSObject(
        ("System.Text.Encoding", _OBJ),
        PSHashtable([("WebName", {"utf-8": "utf-8", "utf-16-le": "utf-16"}.get(codec, codec))]),
        to_string="System.Text.Encoding",
        methods={
            "GetString": lambda data: to_bytes(data).decode(codec, errors="replace"),
            "GetBytes": lambda text: ByteArray(to_string(text).encode(codec, errors="replace")),
        },
    )


def _from_base64(dotnet: DotNet, args: list[Any]) -> ByteArray:
    text = "".join(to_string(args[0]).split()) if args and args[0] is not None else None
    if text is None:
        raise dotnet._error("FromBase64String", 1, DotNetIOError(
            "ArgumentNullException", "Value cannot be null.\r\nParameter name: s"))  # fmt: skip
    try:
        return ByteArray(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise dotnet._error("FromBase64String", 1, DotNetIOError(
            "FormatException", "The input is not a valid Base-64 string as it contains a "
            "non-base 64 character, more than two padding characters, or an illegal "
            "character among the padding characters. ")) from None  # fmt: skip


def _expand_environment(dotnet: DotNet, args: list[Any]) -> str:
    def lookup(match: re.Match[str]) -> str:
        value = dotnet._ev.get_environment(match.group(1))
        return match.group() if value is None else value

    return re.sub(r"%([^%]+)%", lookup, to_string(args[0]))


_RANDOM_NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyz012345"
"""The 32 characters ``Path.GetRandomFileName`` draws from (.NET's reference source)."""


def _random_file_name(dotnet: DotNet, args: list[Any]) -> str:
    """``[System.IO.Path]::GetRandomFileName()``: eight random characters, a dot, three
    more ("a cryptographically strong, random string"); nothing is created."""
    dotnet._arguments("GetRandomFileName", args, 0)
    name = "".join(secrets.choice(_RANDOM_NAME_CHARACTERS) for _ in range(11))
    return f"{name[:8]}.{name[8:]}"


def _bit_converter(dotnet: DotNet, args: list[Any]) -> str:
    return "-".join(f"{b:02X}" for b in to_bytes(args[0]))


_RETURNS_NULL = frozenset({("environment", "getenvironmentvariable")})
"""The methods here whose null result is a value (``$null`` is written, as PowerShell
writes a method's null: ``@(...).Count`` is 1), not a void method's nothing."""

_STATIC: dict[tuple[str, str], Callable[[DotNet, list[Any]], Any]] = {
    ("io.file", "create"): lambda d, a: d._file("create", a),
    ("io.file", "delete"): lambda d, a: d._file("delete", a),
    ("io.file", "move"): lambda d, a: d._file("move", a),
    ("io.file", "exists"): lambda d, a: d._file("exists", a),
    ("io.file", "readallbytes"): lambda d, a: d._file("readallbytes", a),
    ("io.file", "writeallbytes"): lambda d, a: d._file("writeallbytes", a),
    ("io.file", "writealltext"): lambda d, a: d._file("writealltext", a),
    ("io.file", "open"): lambda d, a: d._file("open", a),
    ("io.file", "readalltext"): lambda d, a: d._file("readalltext", a),
    ("io.path", "gettempfilename"): DotNet._temp_file_name,
    ("io.path", "gettemppath"): DotNet.temp_path,
    ("io.path", "getrandomfilename"): _random_file_name,
    ("io.path", "getfullpath"): lambda d, a: d.path_of(a[0]),
    ("convert", "frombase64string"): _from_base64,
    ("convert", "tobase64string"): lambda d, a: base64.b64encode(to_bytes(a[0])).decode(),
    ("bitconverter", "tostring"): _bit_converter,
    ("environment", "expandenvironmentvariables"): _expand_environment,
    ("environment", "getenvironmentvariable"): get_environment_variable,
    ("environment", "setenvironmentvariable"): set_environment_variable,
    ("environment", "getenvironmentvariables"): get_environment_variables,
    ("security.cryptography.sha1cryptoserviceprovider", "create"): lambda d, a: sha1(),
    ("security.cryptography.sha1", "create"): lambda d, a: sha1(),
}


def construct(dotnet: DotNet, type_name: str, arguments: list[Any]) -> Any:
    """``New-Object`` of the types modelled here, else :data:`_NOT_HANDLED`."""
    folded = type_name.casefold().removeprefix("system.")
    if folded == "io.fileinfo" and len(arguments) == 1:
        return dotnet.file_info(arguments[0])
    if folded == "byte[]" and len(arguments) == 1:
        size = to_int(arguments[0])
        return ByteArray([0] * size)
    if folded == "security.cryptography.sha1cryptoserviceprovider" and not arguments:
        return sha1()
    return _NOT_HANDLED


def handled(value: Any) -> bool:
    return value is not _NOT_HANDLED


def _to_byte_array(value: Any) -> ByteArray:
    """``[byte[]]value``: each element a number 0..255, as PowerShell converts it."""
    if isinstance(value, ByteArray):
        return value
    listed = as_list(value) if value is not None else []
    # Plain ints need no conversion (a 5 MB fetch slices byte arrays element by element).
    items = [v if type(v) is int else to_int(v) for v in listed]
    for item in items:
        if not 0 <= item <= 255:
            raise ConversionError(
                value,
                "System.Byte[]",
                "Value was either too large or too small for an unsigned byte.",
            )
    return ByteArray(items)


CONVERTERS["byte[]"] = _to_byte_array


def to_bytes_of_text(value: Any) -> bytes:
    """A string as File.WriteAllText writes it: UTF-8, no byte order mark, a lone surrogate
    as U+FFFD (.NET's UTF8Encoding replaces what it cannot encode); $null is empty."""
    if value is None:
        return b""
    text = to_string(value).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.encode("utf-8")


def decode_detecting_bom(data: bytes) -> str:
    """File.ReadAllText's decoding: a UTF-8, UTF-16 (LE/BE) or UTF-32 LE byte order mark
    chooses the encoding and is dropped; without one the bytes are UTF-8."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")
