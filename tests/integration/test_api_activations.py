"""Activations: list filters (name, since, upto, skip, limit, docs, count), get, /logs, /result, bad ids."""

from __future__ import annotations

from tests.fixtures.whisk import Whisk

ECHO = "def main(args):\n    print('n', args.get('n'))\n    return args\n"


def test_list_get_logs_result(wsk: Whisk) -> None:
    name = wsk.unique("acts")
    wsk.put_action(name, ECHO)
    ids = [wsk.invoke(name, {"n": i}).json()["activationId"] for i in range(3)]

    listed = wsk.session.get(wsk.url("activations"), params={"name": name}).json()
    assert [a["activationId"] for a in listed] == ids[::-1]  # newest first
    assert "response" not in listed[0] and listed[0]["statusCode"] == 0
    docs = wsk.session.get(wsk.url("activations"), params={"name": name, "docs": "true"}).json()
    assert docs[0]["response"]["result"] == {"n": 2}
    page = wsk.session.get(wsk.url("activations"), params={"name": name, "skip": "1", "limit": "1"}).json()
    assert [a["activationId"] for a in page] == [ids[1]]
    count = wsk.session.get(wsk.url("activations"), params={"name": name, "count": "true"}).json()
    assert count == {"activations": 3}

    first = wsk.get_activation(ids[0]).json()
    since = wsk.session.get(wsk.url("activations"), params={"name": name, "since": first["start"] + 1}).json()
    assert ids[0] not in [a["activationId"] for a in since]
    upto = wsk.session.get(wsk.url("activations"), params={"name": name, "upto": first["start"]}).json()
    assert [a["activationId"] for a in upto] == [ids[0]]

    logs = wsk.session.get(wsk.url("activations", ids[1]) + "/logs").json()
    assert len(logs["logs"]) == 1 and logs["logs"][0].endswith("stdout: n 1")
    result = wsk.session.get(wsk.url("activations", ids[1]) + "/result").json()
    assert result["result"] == {"n": 1} and result["success"] is True and result["status"] == "success"


def test_bad_requests(wsk: Whisk) -> None:
    assert wsk.session.get(wsk.url("activations", "tooshort")).status_code == 400
    assert wsk.session.get(wsk.url("activations", "z" * 32)).status_code == 400
    assert wsk.session.get(wsk.url("activations", "0" * 32)).status_code == 404
    resp = wsk.session.get(wsk.url("activations"), params={"docs": "true", "count": "true"})
    assert resp.status_code == 400
    assert wsk.session.get(wsk.url("activations"), params={"limit": 201}).status_code == 400
    assert wsk.session.get(wsk.url("activations"), params={"since": "yesterday"}).status_code == 400
    assert wsk.session.get(wsk.url("activations"), params={"name": "a/b/c"}).status_code == 400
