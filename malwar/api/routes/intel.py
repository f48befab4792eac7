"""Threat intelligence in the database: campaigns and their signatures (indicators).

Every change bumps the intel revision; the next scan in every worker uses the bundled
pack plus these.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromQuery, JSONBody, Parameter

from malwar.api.schemas import (
    CampaignId,
    CampaignIn,
    CampaignOut,
    IndicatorKind,
    SignatureIn,
    SignatureOut,
    SignaturePatch,
    to_struct,
)
from malwar.store import CampaignRecord

READ = {"role": "read-only"}
WRITE = {"role": "analyst"}
SigId = Annotated[int, Parameter(ge=1, le=2**62)]


def _store(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.store


@get("/campaigns", opt=READ, tags=["intel"], summary="Campaigns stored in the database.")
async def list_campaigns(request: Request[Any, Any, Any]) -> list[CampaignOut]:
    return [to_struct(CampaignOut, c) for c in _store(request).list_campaigns()]


@get("/campaigns/{campaign_id:str}", opt=READ, tags=["intel"], summary="One campaign.")
async def get_campaign(request: Request[Any, Any, Any], campaign_id: CampaignId) -> CampaignOut:
    return to_struct(CampaignOut, _store(request).get_campaign(campaign_id))


@put("/campaigns/{campaign_id:str}", opt=WRITE, tags=["intel"], summary="Create or replace a campaign.")
async def put_campaign(request: Request[Any, Any, Any], campaign_id: CampaignId, data: JSONBody[CampaignIn]) -> CampaignOut:
    record = CampaignRecord(campaign_id, data.name, data.description, tuple(data.references))
    return to_struct(CampaignOut, _store(request).put_campaign(record))


@delete("/campaigns/{campaign_id:str}", opt=WRITE, tags=["intel"],
        summary="Delete a campaign that has no signatures left.")
async def delete_campaign(request: Request[Any, Any, Any], campaign_id: CampaignId) -> None:
    _store(request).delete_campaign(campaign_id)


@get("/signatures", opt=READ, tags=["intel"], summary="Signatures (indicators) stored in the database.")
async def list_signatures(request: Request[Any, Any, Any], kind: FromQuery[IndicatorKind | None] = None,
                          campaign_id: FromQuery[CampaignId | None] = None) -> list[SignatureOut]:
    return [to_struct(SignatureOut, s) for s in _store(request).list_signatures(kind, campaign_id)]


@post("/signatures", opt=WRITE, tags=["intel"], summary="Add a signature to a campaign; used by the next scan.")
async def add_signature(request: Request[Any, Any, Any], data: JSONBody[SignatureIn]) -> SignatureOut:
    return to_struct(SignatureOut, _store(request).add_signature(data.kind, data.value, data.campaign_id, data.note))


@get("/signatures/{signature_id:int}", opt=READ, tags=["intel"], summary="One signature.")
async def get_signature(request: Request[Any, Any, Any], signature_id: SigId) -> SignatureOut:
    return to_struct(SignatureOut, _store(request).get_signature(signature_id))


@patch("/signatures/{signature_id:int}", opt=WRITE, tags=["intel"], summary="Change a signature.")
async def update_signature(request: Request[Any, Any, Any], signature_id: SigId,
                           data: JSONBody[SignaturePatch]) -> SignatureOut:
    return to_struct(SignatureOut, _store(request).update_signature(
        signature_id, kind=data.kind, value=data.value, campaign_id=data.campaign_id, note=data.note))


@delete("/signatures/{signature_id:int}", opt=WRITE, tags=["intel"], summary="Delete a signature.")
async def delete_signature(request: Request[Any, Any, Any], signature_id: SigId) -> None:
    _store(request).delete_signature(signature_id)
