"""The API's documentation page at /schema: plain HTML served by the app itself (a closed network has no
CDN for a viewer's scripts), listing each operation and its answers, with the raw OpenAPI document."""
from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from server.web.static_urls import static_url

_METHODS = ("get", "post", "put", "patch", "delete")


class PlainSchemaPage(OpenAPIRenderPlugin):
    """Renders /schema from the OpenAPI document: no script, no file from elsewhere."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        e = html.escape
        info = openapi_schema.get("info", {})
        rows = []
        for path, operations in openapi_schema.get("paths", {}).items():
            for method in _METHODS:
                operation = operations.get(method)
                if operation is None:
                    continue
                answers = "".join(
                    f"<li><code>{e(status)}</code> {e(answer.get('description', ''))}"
                    f"{_body_name(answer)}</li>"
                    for status, answer in operation.get("responses", {}).items())
                rows.append(f"<tr><td><code>{method.upper()} {e(path)}</code><br><small>{e(operation.get('operationId', ''))}"
                            f"</small></td><td>{e(operation.get('summary', ''))}</td><td><ul>{answers}</ul></td></tr>")
        title = f"{info.get('title', 'API')} {info.get('version', '')}"
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><link rel="stylesheet" href="{static_url('app.css')}"></head>
<body><main>
<h1>{e(title)}</h1>
<p>The OpenAPI document: <a href="{e(self._json_url(request))}">openapi.json</a>.
Every error is answered as JSON <code>{{"error": code, "message": text}}</code>, sometimes with more fields.</p>
<table class="list"><thead><tr><th>Operation</th><th>What it does</th><th>Answers</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
</main></body></html>"""
        return page.encode()

    @staticmethod
    def _json_url(request: Request) -> str:
        return request.url.path.rstrip("/") + "/openapi.json"


def _body_name(answer: dict[str, Any]) -> str:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return f" — <code>{html.escape(ref.rsplit('/', 1)[-1])}</code>" if ref else ""
