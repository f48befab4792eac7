"""Scan a skill (JSON text, an uploaded file, or a zipped skill folder) and read stored scans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import JSONBody, Parameter

from malwar.api.auth import principal_of
from malwar.api.errors import Problem
from malwar.api.scanning import ScanInput, ScanService
from malwar.api.schemas import (
    BatchScanRequest,
    BatchScanResponse,
    ScanList,
    ScanRecord,
    ScanRequest,
    ScanSummaryOut,
    VerdictName,
    to_struct,
)
from malwar.ingest import load_text, skill_from_zip_bytes
from malwar.ingest.archive import UploadError
from malwar.models import Category, Confidence, Finding, ScanResult, Severity, Suppression, Verdict
from malwar.report import render_sarif
from malwar.store import ScanQuery

SCAN = {"role": "scanner"}
READ = {"role": "read-only"}
JSON = "application/json"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class ScanOperation(Operation):
    """POST /scan takes JSON or multipart; Litestar cannot infer both from one signature."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={
            JSON: OpenAPIMediaType(schema=Reference("#/components/schemas/ScanRequest")),
            "multipart/form-data": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.OBJECT, required=["file"],
                properties={
                    "file": Schema(type=OpenAPIType.STRING, format="binary",  # type: ignore[arg-type]
                                   description="A skill file, or a zip of a whole skill folder."),
                    "target": Schema(type=OpenAPIType.STRING, max_length=500,
                                     description="A name for the scanned skill."),
                })),
        })


def _decode(body: bytes, cls: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body, type=cls)
    except msgspec.ValidationError as exc:
        raise Problem(400, f"invalid request body: {exc}") from None
    except msgspec.DecodeError:
        raise Problem(400, "the request body is not valid JSON") from None


def _text_input(service: ScanService, req: ScanRequest) -> ScanInput:
    target = req.target or req.file_name
    return ScanInput("text", load_text(req.content, req.file_name, target, service.limits))


def _safe_name(name: str | None) -> str:
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable())[:255]
    return base or "SKILL.md"


async def _upload_input(service: ScanService, request: Request[Any, Any, Any]) -> ScanInput:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Problem(400, "multipart upload needs a 'file' part")
    data = await upload.read()
    file_name = _safe_name(upload.filename)
    target_field = form.get("target")
    target = target_field[:500] if isinstance(target_field, str) and target_field.strip() else file_name
    if data.startswith(ZIP_MAGIC):
        try:
            return ScanInput("zip", skill_from_zip_bytes(data, target, service.limits))
        except UploadError as exc:
            raise Problem(422, f"the zip upload was refused: {exc}") from None
    return ScanInput("file", load_text(data, file_name, target, service.limits))


def _created(body: bytes, location: str | None = None) -> Response[Any]:
    headers = {"Location": location} if location else None
    return Response(body, status_code=201, media_type=JSON, headers=headers)


@post("/scan", opt=SCAN, tags=["scans"], operation_class=ScanOperation, status_code=201,
      summary="Scan one skill file (JSON) or an uploaded file or zipped skill folder (multipart); store it.")
async def scan(request: Request[Any, Any, Any]) -> Response[ScanRecord]:
    service: ScanService = request.app.state.scans
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith(JSON):
        item = _text_input(service, _decode(await request.body(), ScanRequest))
    elif ctype.startswith("multipart/form-data"):
        item = await _upload_input(service, request)
    else:
        raise Problem(415, "send application/json or multipart/form-data")
    principal = principal_of(request)
    stored = (await service.scan([item], principal.key_id if principal else None))[0]
    return _created(stored.document, f"/api/v1/scans/{stored.id}")


@post("/scan/batch", opt=SCAN, tags=["scans"], status_code=201,
      summary="Scan several skill files (JSON); every one is stored.")
async def scan_batch(request: Request[Any, Any, Any], data: JSONBody[BatchScanRequest]) -> Response[BatchScanResponse]:
    service: ScanService = request.app.state.scans
    if len(data.items) > service.settings.max_batch_items:
        raise Problem(413, f"a batch holds at most {service.settings.max_batch_items} items")
    principal = principal_of(request)
    stored = await service.scan([_text_input(service, item) for item in data.items],
                                principal.key_id if principal else None)
    return _created(b'{"scans":[' + b",".join(s.document for s in stored) + b"]}")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@get("/scans", opt=READ, tags=["scans"], summary="Stored scans, newest first, with filters and a cursor.")
async def list_scans(
    request: Request[Any, Any, Any],
    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    cursor: Annotated[int | None, Parameter(ge=1, description="next_cursor of the previous page")] = None,
    verdict: Annotated[list[VerdictName] | None, Parameter(description="Repeat to match several.")] = None,
    sha256: Annotated[str | None, Parameter(pattern=r"^[0-9a-fA-F]{64}$")] = None,
    since: Annotated[dt.datetime | None, Parameter(description="Created at or after (ISO 8601).")] = None,
    until: Annotated[dt.datetime | None, Parameter(description="Created before (ISO 8601).")] = None,
) -> ScanList:
    query = ScanQuery(limit=limit, cursor=cursor, verdicts=tuple(verdict or ()), sha256=sha256,
                      since=_iso(since), until=_iso(until))
    page = request.app.state.store.list_scans(query)
    return ScanList([to_struct(ScanSummaryOut, s) for s in page.items], page.next_cursor)


@get("/scans/{scan_id:int}", opt=READ, tags=["scans"],
     summary="One stored scan: exactly what was returned when it was scanned.")
async def get_scan(request: Request[Any, Any, Any],
                   scan_id: Annotated[int, Parameter(ge=1, le=2**62)]) -> Response[ScanRecord]:
    return Response(request.app.state.store.get_scan_document(scan_id), media_type=JSON)


@get("/scans/{scan_id:int}/sarif", opt=READ, tags=["scans"], media_type="application/sarif+json",
     summary="One stored scan as SARIF 2.1.0, rendered from the stored findings.")
async def get_scan_sarif(request: Request[Any, Any, Any],
                         scan_id: Annotated[int, Parameter(ge=1, le=2**62)]) -> Response[dict[str, Any]]:
    doc = msgspec.json.decode(request.app.state.store.get_scan_document(scan_id))
    # Litestar types ``content`` as the documented body type T, but sends pre-encoded bytes as-is.
    return Response(render_sarif([result_from_dict(doc["result"])]).encode(),  # type: ignore[arg-type]
                    media_type="application/sarif+json")


def result_from_dict(d: dict[str, Any]) -> ScanResult:
    """The stored JSON result back as a ScanResult, so SARIF shows what was stored, not a re-scan."""
    findings = []
    for f in d["findings"]:
        sup = f.get("suppressed")
        findings.append(Finding(
            rule_id=f["rule_id"], rule_name=f["rule_name"], title=f["title"],
            severity=Severity[f["severity"].upper()], confidence=Confidence[f["confidence"].upper()],
            category=Category(f["category"]), file=f["file"], line=f["line"], end_line=f["end_line"],
            evidence=f["evidence"], fingerprint=f["fingerprint"], layer=f.get("layer"), campaign=f.get("campaign"),
            context=f.get("context"),
            suppression=Suppression(sup["reason"], sup["source"], sup.get("expires")) if sup else None))
    return ScanResult(target=d["target"], sha256=d["sha256"], verdict=Verdict(d["verdict"]),
                      risk_score=d["risk_score"], findings=tuple(findings), errors=tuple(d["errors"]),
                      file_count=d["files"], byte_count=d["bytes"])
