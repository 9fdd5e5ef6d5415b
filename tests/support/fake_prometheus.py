"""A loopback stand-in for Prometheus's query API: answers every query with the series a test sets, and
records what opsbot asked (each request's parameters), so a test sees what reached Prometheus. It can also
answer like a broken Prometheus (or something else listening on its port)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

MAX_POINTS = 11_000  # Prometheus's own cap per series of a range query
# What a broken Prometheus answers: a page that is no JSON, JSON without a result, a refusal, a failure.
BROKEN_ANSWERS: dict[str, Callable[[], web.Response]] = {
    "garbage": lambda: web.Response(text="<html><body>It works!</body></html>", content_type="text/html"),
    "no result": lambda: web.json_response({"status": "success", "data": {"resultType": "matrix"}}),
    "bad query": lambda: web.json_response(
        {"status": "error", "errorType": "bad_data", "error": "1:9: parse error: unexpected <EOF>"},
        status=400,
    ),
    "error": lambda: web.json_response(
        {"status": "error", "errorType": "internal", "error": "opening storage failed"}, status=500
    ),
}


@dataclass
class FakePrometheus:
    """`series` holds the label sets every query answers with, `value_at(labels, unix time)` their values
    (1.5 at every point unless a test sets it); `broken` names one of BROKEN_ANSWERS to give instead."""

    url: str = ""
    series: list[Mapping[str, str]] = field(default_factory=lambda: [{"__name__": "up", "job": "api"}])
    requests: list[dict[str, str]] = field(default_factory=list)
    value_at: Callable[[Mapping[str, str], float], float] = lambda labels, at: 1.5
    broken: str = ""

    def queries(self) -> list[str]:
        return [r["query"] for r in self.requests]

    async def _query(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        at = float(params.get("time") or 1_700_000_000)
        result = [{"metric": dict(labels), "value": [at, "1.5"]} for labels in self.series]
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}})

    async def _query_range(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        start, end = float(params["start"]), float(params["end"])
        step = float(params["step"].removesuffix("s"))
        if (end - start) / step > MAX_POINTS:
            error = "exceeded maximum resolution of 11,000 points per timeseries"
            return web.json_response({"status": "error", "errorType": "bad_data", "error": error}, status=400)
        if self.broken:
            return BROKEN_ANSWERS[self.broken]()
        times = [start + i * step for i in range(int((end - start) // step) + 1)]
        result = [
            {"metric": dict(labels), "values": [[t, str(self.value_at(labels, t))] for t in times]}
            for labels in self.series
        ]
        return web.json_response({"status": "success", "data": {"resultType": "matrix", "result": result}})

    async def _params(self, request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        self.requests.append(params)
        return params


@asynccontextmanager
async def fake_prometheus() -> AsyncIterator[FakePrometheus]:
    """Serve a FakePrometheus on an ephemeral loopback port for the duration of the block."""
    fake = FakePrometheus()
    app = web.Application()
    app.router.add_route("*", "/api/v1/query", fake._query)
    app.router.add_route("*", "/api/v1/query_range", fake._query_range)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()
