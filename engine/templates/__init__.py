"""Rendering PowerShell templates into reviewable, hash-identified scripts."""

from engine.templates.environment import TemplateLibrary
from engine.templates.render import DeclaredParameter, RenderedScript

__all__ = ["DeclaredParameter", "RenderedScript", "TemplateLibrary"]
