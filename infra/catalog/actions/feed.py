"""Feed action of /whisk.system/alarms (alarm, interval, once) and /whisk.system/cloudant (changes).

Takes `lifecycleEvent` (CREATE|READ|UPDATE|DELETE), `triggerName` (/ns/name), `authKey` and the feed's
parameters, and forwards them to the feed provider at the package parameter `provider_endpoint`
(CREATE -> POST, READ -> GET, UPDATE -> PUT, DELETE -> DELETE on /triggers/{ns}/{name}). Which feed it is
comes from the action's own name (`__OW_ACTION_NAME`), else from its `feed` parameter.
Returns the provider's answer, or {"error": message} (so the CLI/deployer sees the trigger creation fail).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

METHODS = {"CREATE": "POST", "READ": "GET", "UPDATE": "PUT", "DELETE": "DELETE"}
NOT_FORWARDED = ("provider_endpoint", "authKey", "lifecycleEvent", "triggerName")


def main(params: dict[str, Any]) -> dict[str, Any]:
    event = str(params.get("lifecycleEvent", "")).upper()
    if event not in METHODS:
        return {
            "error": f"unsupported lifecycleEvent {params.get('lifecycleEvent')!r}; "
            "expected CREATE, READ, UPDATE or DELETE"
        }
    endpoint = params.get("provider_endpoint")
    if not endpoint:
        return {"error": "the package parameter provider_endpoint (the feed provider's URL) is not set"}
    auth_key = params.get("authKey")
    if not isinstance(auth_key, str) or ":" not in auth_key:
        return {"error": "authKey parameter is required (uuid:key of the trigger's owner)"}
    parts = str(params.get("triggerName", "")).strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        return {"error": f"triggerName {params.get('triggerName')!r} must be /namespace/name"}
    feed = os.environ.get("__OW_ACTION_NAME", "").rstrip("/").rsplit("/", 1)[-1]
    if feed not in ("alarm", "interval", "once", "changes"):
        feed = str(params.get("feed", ""))
    body = {k: v for k, v in params.items() if k not in NOT_FORWARDED}
    body["feed"] = feed
    url = f"{str(endpoint).rstrip('/')}/triggers/{quote(parts[0], safe='')}/{quote(parts[1], safe='')}"
    data = json.dumps(body).encode() if METHODS[event] in ("POST", "PUT") else None
    request = urllib.request.Request(url, data=data, method=METHODS[event])
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Basic " + base64.b64encode(auth_key.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=50) as resp:
            answer = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error")
        except ValueError:
            message = None
        return {"error": message or f"the feed provider answered HTTP {exc.code}"}
    except (urllib.error.URLError, OSError) as exc:
        return {"error": f"could not reach the feed provider at {endpoint}: {exc}"}
    return answer if isinstance(answer, dict) else {"result": answer}
