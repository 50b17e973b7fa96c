"""Rendering PowerShell templates into reviewable, hash-identified scripts."""

from psrunbook.templates.environment import TemplateLibrary
from psrunbook.templates.script import DeclaredParameter, RenderedScript

__all__ = ["DeclaredParameter", "RenderedScript", "TemplateLibrary"]
