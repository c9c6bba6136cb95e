"""Sigma rules → DuckDB SQL over the `cloudtrail` table, with pySigma's own backend classes
(pySigma-backend-duckdb, adjusted): Sigma's case-insensitive equality, wildcards escaped
properly in ILIKE, and field names mapped by `formats.cloudtrail_fields`."""

from __future__ import annotations

from typing import Any, ClassVar

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionNOT
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.types import SigmaCIDRExpression, SigmaString
from sigma_backend_duckdb.backend import DuckDBBackend

from vigil.formats.cloudtrail_fields import sql_expr


class CloudTrailBackend(DuckDBBackend):  # type: ignore[misc]
    name: ClassVar[str] = "Vigil cloudtrail table (DuckDB)"
    escape_char: ClassVar[str] = "\\"
    add_escaped: ClassVar[str] = "%_"
    startswith_expression: ClassVar[str] = "{field} ILIKE '{value}%' ESCAPE '\\'"
    endswith_expression: ClassVar[str] = "{field} ILIKE '%{value}' ESCAPE '\\'"
    contains_expression: ClassVar[str] = "{field} ILIKE '%{value}%' ESCAPE '\\'"
    wildcard_match_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"
    wildcard_match_str_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(processing_pipeline=ProcessingPipeline(), **kwargs)

    def escape_and_quote_field(self, field_name: str) -> str:
        return sql_expr(field_name)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str | DeferredQueryExpression:
        value = cond.value
        if isinstance(value, SigmaString) and value.contains_placeholder():
            raise SigmaFeatureNotSupportedByBackendError(
                f"placeholder in {cond.field} (the expand modifier) is not supported"
            )
        if isinstance(value, SigmaString) and not value.contains_special():
            # Sigma compares strings case-insensitively; exact, without LIKE's wildcards.
            plain = str(value).replace("'", "''")
            return f"lower({self.escape_and_quote_field(cond.field)}) = lower('{plain}')"
        result: str | DeferredQueryExpression = super().convert_condition_field_eq_val_str(
            cond, state
        )
        return result

    def convert_condition_not(
        self, cond: ConditionNOT, state: ConversionState
    ) -> str | DeferredQueryExpression | None:
        """`not x` is true where x does not match, a field that is absent included (Sigma's
        meaning, and the streaming evaluator's): SQL's NOT of a comparison with NULL is NULL,
        which would drop the record, so the negated part is coalesced to false first."""
        result: str | DeferredQueryExpression | None = super().convert_condition_not(cond, state)
        prefix = self.not_token + self.token_separator
        if isinstance(result, str) and result.startswith(prefix):
            return f"NOT coalesce({result[len(prefix) :]}, false)"
        return result

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str | DeferredQueryExpression:
        value = cond.value
        assert isinstance(value, SigmaCIDRExpression)
        return f"ipv4_in_cidr({self.escape_and_quote_field(cond.field)}, '{value.network}')"
