"""PowerShell output and error records turned into plain data, typed results and StepErrors.

What pypsrp hands back after a pipeline (deserialized CLIXML objects, the error stream,
``had_errors``) is converted here once, so nothing above this package ever looks at a
``GenericComplexObject`` or scrapes text out of an error record.
"""

from __future__ import annotations

from psrunbook.results.enums import (
    ClusterGroupStateName,
    ClusterNodeStateName,
    ClusterResourceStateName,
    cluster_enum,
    cluster_enum_types,
)
from psrunbook.results.parse import ParsedOutput, parse_output
from psrunbook.results.plain import plain
from psrunbook.results.step_error import ERROR_CATEGORIES, StepError, category_name

__all__ = [
    "ERROR_CATEGORIES",
    "ClusterGroupStateName",
    "ClusterNodeStateName",
    "ClusterResourceStateName",
    "ParsedOutput",
    "StepError",
    "category_name",
    "cluster_enum",
    "cluster_enum_types",
    "parse_output",
    "plain",
]
