"""Parameters shared by the runbooks that work on an SSIS resource ssis-clustered made.

``ssis-failover-drill`` and ``ssis-clustered-undo`` both name the SQL Server version, the
SQL Server group and the SSIS resource in it, validated the same way.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from psrunbook.runbooks._ssis import checks
from psrunbook.runbooks._ssis.versions import SsisVersion, ssis_version

DEFAULT_RESOURCE_NAME = "SQL Server Integration Services"


class SsisRoleParameters(BaseModel):
    """The SQL Server version, group and SSIS resource of a clustered SSIS."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql_version: checks.SqlVersion = Field(
        description="SQL Server version ssis-clustered was run with", examples=["2019"]
    )
    group: str = Field(
        description="Cluster group (role) of SQL Server that holds the SSIS resource",
        examples=["SQL Server (MSSQLSERVER)"],
    )
    resource_name: str = Field(
        default=DEFAULT_RESOURCE_NAME,
        description="Name of the SSIS Generic Service resource in group",
        examples=[DEFAULT_RESOURCE_NAME],
    )

    @field_validator("group", "resource_name")
    @classmethod
    def _cluster_name(cls, value: str, info: ValidationInfo) -> str:
        return checks.plain_text(value, str(info.field_name), what="cluster object name")

    @property
    def version(self) -> SsisVersion:
        return ssis_version(self.sql_version)
