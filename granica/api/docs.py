"""The API reference at /api/docs, rendered from the OpenAPI document by our own template
(Swagger UI would need a CDN, which an air-gapped node does not have and the CSP forbids)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from granica.api.deps import OptionalPrincipal
from granica.web import render

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                 "description": p.get("description", "")}
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            ops.append({
                "method": method.upper(), "path": path,
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "tag": (op.get("tags") or ["general"])[0], "parameters": params,
                "body_types": sorted(body), "responses": sorted(op.get("responses", {})),
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            })
    return ops


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, principal: OptionalPrincipal) -> HTMLResponse:
    spec = request.app.openapi()
    ops = _operations(spec)
    tags: dict[str, list[dict[str, Any]]] = {}
    for op in ops:
        tags.setdefault(op["tag"], []).append(op)
    return render(request, "api_docs.html", {
        "spec_info": spec.get("info", {}), "tags": tags,
        "openapi_url": request.app.openapi_url,
    })
