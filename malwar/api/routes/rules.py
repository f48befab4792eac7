"""The detection rules, with their documentation pages."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath

from malwar.api.errors import Problem
from malwar.api.schemas import RuleDetail, RuleOut
from malwar.report.jsonout import HELP_URI
from malwar.rules import all_rules, get_rule

READ = {"role": "read-only"}


@get("/rules", opt=READ, tags=["rules"], summary="Every detection rule.")
async def list_rules() -> list[RuleOut]:
    return [RuleOut(r.id, r.name, r.title, r.category.value, r.severity.label, r.confidence.label, r.preview,
                    r.doc_sections().get("Summary", "")) for r in all_rules()]


@get("/rules/{rule_id:str}", opt=READ, tags=["rules"], summary="One rule and its documentation.")
async def rule_detail(rule_id: FromPath[str]) -> RuleDetail:
    r = get_rule(rule_id)
    if r is None:
        raise Problem(404, f"no rule with id {rule_id!r}")
    return RuleDetail(r.id, r.name, r.title, r.category.value, r.severity.label, r.confidence.label, r.preview,
                      r.doc_sections(), list(r.references), HELP_URI.format(id=r.id))
