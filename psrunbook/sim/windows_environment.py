"""The environment a process of a remote session starts with on a lab node.

WinRM starts the session's host process with the system's variables and the user's (its
profile loaded): the same block for a WinRS process (``cmd.exe``, ``powershell.exe``)
and for a PSRP runspace's ``$env:``. UNVERIFIED: the lab's subset of Windows' variables.
"""

from __future__ import annotations


def _fold(text: str) -> str:
    return text.casefold()


def process_environment(node: str, user: str, extra: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The environment a WinRS process starts with: the system's, the user's, then
    the shell's Environment variables (UNVERIFIED: the lab's subset of Windows')."""
    env = {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "APPDATA": f"C:\\Users\\{user}\\AppData\\Roaming",
        "COMPUTERNAME": node,
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
        "PROMPT": "$P$G",
        "PUBLIC": "C:\\Users\\Public",
        "SystemDrive": "C:",
        "SystemRoot": "C:\\Windows",
        "TEMP": f"C:\\Users\\{user}\\AppData\\Local\\Temp",
        "TMP": f"C:\\Users\\{user}\\AppData\\Local\\Temp",
        "USERDOMAIN": node,
        "USERNAME": user,
        "USERPROFILE": f"C:\\Users\\{user}",
        "windir": "C:\\Windows",
    }
    for name, value in extra:
        key = next((k for k in env if _fold(k) == _fold(name)), name)
        env[key] = value
    return env
