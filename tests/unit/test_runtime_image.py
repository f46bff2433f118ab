"""The action image and the local setup install the same things, from the same files (one source of truth)."""

from __future__ import annotations

import re

from tests.conftest import REPO

DOCKERFILE = (REPO / "infra" / "runtime" / "Dockerfile").read_text()
SETUP = (REPO / "infra" / "setup.sh").read_text()


def _packages(path: str) -> list[str]:
    lines = (REPO / path).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_dockerfile_builds_on_the_official_python_311_action_image() -> None:
    assert re.search(r"^FROM openwhisk/action-python-v3\.11(:\S+)?$", DOCKERFILE, re.M)


def test_debian_packages_come_from_the_one_list_setup_also_installs() -> None:
    assert "tesseract-ocr" in _packages("infra/runtime/apt-packages.txt")
    assert "COPY infra/runtime/apt-packages.txt" in DOCKERFILE
    assert "infra/runtime/apt-packages.txt" in SETUP
    # no package named inline in the Dockerfile: every apt-get install reads the list
    for line in DOCKERFILE.splitlines():
        if "apt-get install" in line:
            assert "xargs" in line, line


def test_python_dependencies_are_pinned_by_the_same_constraints_file() -> None:
    assert "COPY infra/constraints.txt" in DOCKERFILE
    assert "-c /tmp/constraints.txt" in DOCKERFILE
    assert "-c infra/constraints.txt" in SETUP
    pinned = {line.split("==")[0].lower() for line in _packages("infra/constraints.txt")}
    install = re.search(r"pip install[^\n]*\\\n((?:.*\\\n)*.*)", DOCKERFILE)
    assert install is not None
    wanted = set(re.findall(r"[A-Za-z][\w.-]+", install.group(1))) - {"rm", "tmp", "constraints.txt"}
    for name in wanted:
        assert name.lower() in pinned, f"{name} is installed in the image but not pinned in constraints.txt"
    # Every runtime dependency of the project is in the image (the action code imports them).
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    needed = {re.split(r"[<>=\[; ]", d)[0].lower() for d in project["dependencies"]}
    missing = needed - {w.lower() for w in wanted}
    assert not missing, f"pyproject's dependencies {sorted(missing)} are not installed in the action image"


def test_models_are_checked_against_their_sha256_at_build_time() -> None:
    assert "python -m infra.models install" in DOCKERFILE
    assert "infra.models install" in SETUP
    models = (REPO / "infra" / "models.py").read_text()
    assert models.count("sha256") >= 2
