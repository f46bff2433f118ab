"""The platform's check of an action's `exec`: what is stored for each kind, and each refusal's sentence."""

from __future__ import annotations

from typing import Any

import pytest

from infra.whisk.entities import SEQUENCE_MAX, check_exec
from infra.whisk.errors import ApiError

CODE = "def main(args):\n    return args\n"


@pytest.mark.parametrize(
    ("exec_", "stored"),
    [
        ({"kind": "python:3.11", "code": CODE}, {"kind": "python:3.11", "code": CODE, "binary": False}),
        ({"kind": "python:3.11", "code": CODE, "main": "main"},
         {"kind": "python:3.11", "code": CODE, "binary": False}),
        ({"kind": "python:3.11", "code": CODE, "main": "handle"},
         {"kind": "python:3.11", "code": CODE, "binary": False, "main": "handle"}),
        ({"kind": "python:3.11", "code": ""}, {"kind": "python:3.11", "code": "", "binary": False}),
        ({"kind": "blackbox", "image": "openwhisk/python3action", "code": CODE},
         {"kind": "blackbox", "image": "openwhisk/python3action", "code": CODE, "binary": False}),
        ({"kind": "sequence", "components": ["/guest/a", "/guest/b"]},
         {"kind": "sequence", "components": ["/guest/a", "/guest/b"]}),
    ],
)  # fmt: skip
def test_what_is_stored_for_each_kind(exec_: dict[str, Any], stored: dict[str, Any]) -> None:
    assert check_exec(exec_) == stored


@pytest.mark.parametrize(
    ("exec_", "status", "fragment"),
    [
        ("python:3.11", 400, "'exec' must be an object"),
        ({"kind": "sequence", "components": []}, 400, "No component specified for the sequence."),
        (
            {"kind": "sequence", "components": ["/guest/a", 7]},
            400,
            "No component specified for the sequence.",
        ),
        ({"kind": "sequence", "components": ["/guest/a"] * (SEQUENCE_MAX + 1)}, 400, "Too many actions"),
        ({"kind": "blackbox", "code": CODE}, 400, "a blackbox action needs 'exec.image'"),
        ({"kind": "blackbox", "image": "img", "code": 7}, 400, "'exec.code' must be a string"),
        ({"kind": "blackbox", "image": "img"}, 400, "image 'img' alone cannot be pulled here"),
        ({"kind": "python:3.11"}, 400, "'code' must be a string defined in 'exec' for 'python:3.11' actions"),
        ({"kind": "python:3.11", "code": CODE, "main": "not a name"}, 400, "must be the name of a function"),
    ],
)
def test_each_refusal_says_what_is_wrong(exec_: Any, status: int, fragment: str) -> None:
    with pytest.raises(ApiError) as info:
        check_exec(exec_)
    assert info.value.status == status and fragment in info.value.message
