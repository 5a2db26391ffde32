"""Routes for tests/bolt/test_rate_limit_redis.py: limits kept where
``BOLT_RATE_LIMIT_BACKEND`` says (``--settings boltproj.settings_limit``), beside one
API that keeps its buckets in each process whatever the setting."""

from __future__ import annotations

from django_bolt import BoltAPI, rate_limit

#: Requests a client may make at once on each limited route; the rate refills one
#: every 100 s, so a test sees exactly this many 200s.
BURST = 20

api = BoltAPI()


@api.get("/limited/shared")
@rate_limit(rps=0.01, burst=BURST)
async def shared() -> dict:
    return {"ok": True}


@api.get("/limited/by-key")
@rate_limit(rps=0.01, burst=2, key="header:x-api-key")
async def by_key() -> dict:
    return {"ok": True}


#: The control: in each process, whatever the setting says.
local = BoltAPI(rate_limit_backend="memory")


@local.get("/local")
@rate_limit(rps=0.01, burst=BURST)
async def in_process() -> dict:
    return {"ok": True}


api.mount("/limited", local)
