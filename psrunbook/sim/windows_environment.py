"""The environment a process of a remote session starts with on a lab node.

WinRM starts the session's host process with the system's variables and the user's (its
profile loaded): the same block for a WinRS process (``cmd.exe``, ``powershell.exe``)
and for a PSRP runspace's ``$env:``. UNVERIFIED: the lab's subset of Windows' variables.
"""

from __future__ import annotations

SYSTEM_MODULE_PATH = (
    "C:\\Program Files\\WindowsPowerShell\\Modules;"
    "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules"
)
"""The system's ``PSModulePath``: the AllUsers and ``$PSHOME`` module folders of Windows
PowerShell 5.1 (about_PSModulePath)."""


def powershell_module_path(profile: str) -> str:
    """``$env:PSModulePath`` in a Windows PowerShell 5.1 process: the CurrentUser folder
    (``$HOME\\Documents\\WindowsPowerShell\\Modules``) before the system's value, which
    already has the AllUsers folder before ``$PSHOME``'s (about_PSModulePath, "Windows
    PowerShell startup")."""
    return f"{profile}\\Documents\\WindowsPowerShell\\Modules;{SYSTEM_MODULE_PATH}"


def _fold(text: str) -> str:
    return text.casefold()


def process_environment(
    node: str, user: str, extra: tuple[tuple[str, str], ...], *, domain: str | None = None
) -> dict[str, str]:
    """The environment a WinRS process starts with: the system's, the user's, then
    the shell's Environment variables (UNVERIFIED: the lab's subset of Windows').

    ``USERDOMAIN`` is the account's domain (``domain``, as ``whoami`` shows it): the
    domain of a domain account, the computer's name for a local one."""
    env = {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "APPDATA": f"C:\\Users\\{user}\\AppData\\Roaming",
        "COMPUTERNAME": node,
        "CommonProgramFiles": "C:\\Program Files\\Common Files",
        "CommonProgramFiles(x86)": "C:\\Program Files (x86)\\Common Files",
        "CommonProgramW6432": "C:\\Program Files\\Common Files",
        "ComSpec": "C:\\Windows\\system32\\cmd.exe",
        "LOCALAPPDATA": f"C:\\Users\\{user}\\AppData\\Local",
        "NUMBER_OF_PROCESSORS": "2",
        "OS": "Windows_NT",
        "Path": "C:\\Windows\\system32;C:\\Windows;"
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
        "PROCESSOR_ARCHITECTURE": "AMD64",
        "ProgramData": "C:\\ProgramData",
        "ProgramFiles": "C:\\Program Files",
        "ProgramFiles(x86)": "C:\\Program Files (x86)",
        "ProgramW6432": "C:\\Program Files",
        "PROMPT": "$P$G",
        "PSModulePath": SYSTEM_MODULE_PATH,
        "PUBLIC": "C:\\Users\\Public",
        "SystemDrive": "C:",
        "SystemRoot": "C:\\Windows",
        "TEMP": f"C:\\Users\\{user}\\AppData\\Local\\Temp",
        "TMP": f"C:\\Users\\{user}\\AppData\\Local\\Temp",
        "USERDOMAIN": domain or node,
        "USERNAME": user,
        "USERPROFILE": f"C:\\Users\\{user}",
        "windir": "C:\\Windows",
    }
    for name, value in extra:
        key = next((k for k in env if _fold(k) == _fold(name)), name)
        env[key] = value
    return env
