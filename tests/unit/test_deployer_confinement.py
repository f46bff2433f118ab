"""Action zips take nothing from outside the project unless asked (issue 13): tests/hostile/deployer.py.

A link or an `include` that leads out of the manifest's directory used to put the file it reached (a secret)
into the action's zip. Every case is loaded as the deployer loads it (manifest -> model, the zip built) and
run through the command line's dry run, with and without `--allow-outside-project`.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest

from infra.deployer.__main__ import main
from infra.deployer.errors import ManifestError
from infra.deployer.manifest import load_manifest
from tests.hostile.deployer import CASES, SECRET, ZipCase, build

pytestmark = pytest.mark.unit


def _zip(manifest: Path, allow: bool = False) -> dict[str, bytes]:
    model = load_manifest(manifest, allow_outside_project=allow)
    (action,) = model.actions
    assert action.exec.binary and action.exec.code is not None
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(action.exec.code)))
    return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_zip_case(tmp_path: Path, case: ZipCase) -> None:
    manifest = build(tmp_path, case)
    if not case.key:
        entries = _zip(manifest)
        assert tuple(sorted(entries)) == case.entries
        assert not any(SECRET.encode() in data for data in entries.values())
        return
    with pytest.raises(ManifestError) as refused:
        _zip(manifest)
    (problem,) = refused.value.problems
    assert problem.entity == "action pkg/leaky" and problem.key == case.key, problem
    assert str(tmp_path) in problem.message, problem.message  # names the path
    if case.outside:
        assert "outside the project" in problem.message and "--allow-outside-project" in problem.message
        # asked for explicitly, the file is zipped
        assert any(SECRET.encode() in data for data in _zip(manifest, allow=True).values())
    else:
        with pytest.raises(ManifestError):
            _zip(manifest, allow=True)  # a broken link or a loop is no question of permission


def test_command_line_refuses_and_names_the_action_and_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(c for c in CASES if c.name == "link-file-out")
    manifest = build(tmp_path, case)
    assert main(["--manifest", str(manifest), "--dry-run", "--env", str(_env(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "nothing was deployed" in err and "action pkg/leaky: function:" in err
    assert str(tmp_path / "outside" / "secret.env") in err and "Traceback" not in err
    allowed = [
        "--manifest",
        str(manifest),
        "--dry-run",
        "--env",
        str(_env(tmp_path)),
        "--allow-outside-project",
    ]
    assert main(allowed) == 0
    assert "Dry run: nothing was changed." in capsys.readouterr().out


def test_the_repository_manifest_zips_with_no_opt_in() -> None:
    """openchecks' own manifest needs no file from outside the checkout."""
    from infra.deployer.environment import Variables

    repo = Path(__file__).resolve().parents[2]
    needed = {"CLOUDANT_URL": "http://db", "COS_ENDPOINT": "http://s3", "TOKEN_SECRET": "x" * 32}
    model = load_manifest(repo / "manifest.yaml", variables=Variables(environ=needed))
    assert {a.name for a in model.actions} >= {"api", "ui", "fetch-image"}


def _env(tmp_path: Path) -> Path:
    env = tmp_path / "empty.env"
    env.write_text("")
    return env
