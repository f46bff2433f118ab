"""The seed's example through the REST API: module globals and the container's temp dir survive warm
invocations; a new revision (update) starts a fresh container."""

from __future__ import annotations

from tests.fixtures.whisk import Whisk, annotation

COUNTER = """
import os
import tempfile

COUNT = 0  # lives as long as the container


def main(args):
    global COUNT
    COUNT += 1
    marker = os.path.join(tempfile.gettempdir(), "seen.txt")
    existed = os.path.exists(marker)
    with open(marker, "a") as f:
        f.write("x")
    return {"count": COUNT, "file_existed": existed, "tmp": tempfile.gettempdir(), "tag": args.get("tag")}
"""


def test_counter_and_temp_file_survive_warm_invocations(wsk: Whisk) -> None:
    name = wsk.unique("counter")
    wsk.put_action(name, COUNTER)
    records = [wsk.invoke(name, {"tag": i}).json() for i in range(3)]
    results = [r["response"]["result"] for r in records]
    assert [r["count"] for r in results] == [1, 2, 3]
    assert [r["file_existed"] for r in results] == [False, True, True]
    assert len({r["tmp"] for r in results}) == 1
    assert annotation(records[0], "initTime") is not None
    assert all(annotation(r, "initTime") is None for r in records[1:])

    # an update is a new revision: a new container, so globals and the temp dir start afresh
    wsk.put_action(name, COUNTER, overwrite=True)
    after = wsk.invoke(name).json()
    assert after["response"]["result"]["count"] == 1
    assert after["response"]["result"]["file_existed"] is False
    assert annotation(after, "initTime") is not None
    assert wsk.invoke(name).json()["response"]["result"]["count"] == 2
