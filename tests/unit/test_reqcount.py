"""openchecks.reqcount: what `_meta.requests` counts, on the real SDK clients (no server: nothing is sent)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from openchecks import reqcount


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "/"),
        ("/deposits/dep-0123abcd", "deposits/dep"),
        ("/deposit-claims/ledger-2026-12-03-708d02e4", "claims/ledger"),
        ("/deposit-claims/check-727146425-925141852765-327730", "claims/check"),
        ("/deposit-claims/_design/duplicates/_view/image-bands", "claims/_view"),
        ("/deposits/_find", "deposits/_find"),
        ("/deposits/_all_docs?include_docs=true", "deposits/_all_docs"),
        ("/openchecks-config/config", "config/config"),
        ("/openchecks-incoming/dep-1/front.jpg", "incoming/front"),
        ("/openchecks-archive/dep-1/back_small.jpg", "archive/back_small"),
        ("/openchecks-archive/dep-1/front-200dpi.jpg", "archive/front"),
        ("/deposits", "deposits"),
    ],
)
def test_a_path_is_counted_by_its_kind_never_its_id(path: str, kind: str) -> None:
    assert reqcount.path_kind(path) == kind


def test_the_count_starts_afresh_per_activation() -> None:
    reqcount.reset()
    reqcount.count("get", "http://db:5984/deposits/dep-1")
    reqcount.count("GET", "http://db:5984/deposits/dep-2")
    reqcount.count("HEAD", "http://s3:4568/openchecks-incoming/dep-1/front.jpg", "s3")
    assert reqcount.snapshot() == {"GET deposits/dep": 2, "s3 HEAD incoming/front": 1}
    reqcount.reset()
    assert reqcount.snapshot() == {}


def test_the_clients_count_every_request_they_send() -> None:
    from openchecks.clients import cloudant_client, cos_client, reset_client_caches
    from openchecks.config import Settings

    reset_client_caches()
    settings = Settings.from_params(
        {
            "cloudant_url": "http://127.0.0.1:9",
            "cos_endpoint": "http://127.0.0.1:9",
            "cos_access_key_id": "k",
            "cos_secret_access_key": "s",
        }
    )
    try:
        cloudant, _ = cloudant_client(settings)
        cos, _ = cos_client(settings)
        reqcount.reset()
        # The Cloudant client's session hook sees each answer: one built here, as `requests` would hand it.
        answer = requests.Response()
        answer.status_code, answer._content = 201, b"{}"
        answer.request = requests.Request("PUT", "http://127.0.0.1:9/deposits/dep-1").prepare()
        for hook in cloudant.http_client.hooks["response"]:
            hook(answer)
        # The S3 client's before-send handler sees each attempt (the request is refused: port 9).
        sent: list[Any] = []
        cos.meta.events.register("before-send.s3", lambda request, **kw: sent.append(request))
        from ibm_botocore.exceptions import EndpointConnectionError

        with pytest.raises(EndpointConnectionError):
            cos.head_object(Bucket="openchecks-incoming", Key="dep-1/front.jpg")
        counted = reqcount.snapshot()
        assert counted["PUT deposits/dep"] == 1
        assert counted["s3 HEAD incoming/front"] == len(sent) >= 1
    finally:
        reset_client_caches()
