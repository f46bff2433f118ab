"""The Tesseract MICR models: installed into .cache/tessdata from a local directory or their upstream address.

`python -m infra.models install` takes each model from the directory named by OPENCHECKS_MODELS_DIR (CI points
it at ../shared/models), or from ../shared/models when that exists, and otherwise downloads it from upstream.
Every file is checked against its SHA-256 before it is used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
TESSDATA = Path(os.environ.get("OPENCHECKS_TESSDATA", REPO / ".cache" / "tessdata"))


@dataclass(frozen=True)
class Model:
    name: str
    sha256: str
    url: str


MODELS = (
    Model(
        "e13b",
        "2b8a5a6239910fc01462811945c7b3fe4b429018529f66e20543da8c61eeba07",
        "https://github.com/DoubangoTelecom/tesseractMICR/raw/master/tessdata_fast/e13b.traineddata",
    ),
    Model(
        "mcr2",
        "612dfb3599f50ad8a0e1f04c4fb6266420dbc22300da5a9360ad3de178bfaa9d",
        "https://github.com/IBM/ibm-cloud-functions-serverless-ocr-openchecks/raw/master/"
        "dockerSkeleton/tessdata/mcr2.traineddata",
    ),
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("OPENCHECKS_MODELS_DIR"):
        dirs.append(Path(os.environ["OPENCHECKS_MODELS_DIR"]))
    dirs.append(REPO.parent / "shared" / "models")
    return dirs


def install(target: Path = TESSDATA) -> list[Path]:
    """Make every model present and verified in `target`; return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    done = []
    for model in MODELS:
        dest = target / f"{model.name}.traineddata"
        if dest.is_file() and _sha256(dest) == model.sha256:
            os.chmod(dest, 0o644)  # public data: sandboxed action users must read it too
            done.append(dest)
            continue
        src = next((d / dest.name for d in _source_dirs() if (d / dest.name).is_file()), None)
        with tempfile.NamedTemporaryFile(dir=target, delete=False) as tmp:
            tmp_path = Path(tmp.name)
        try:
            if src is not None:
                shutil.copyfile(src, tmp_path)
                origin = str(src)
            else:
                resp = requests.get(model.url, timeout=60)
                resp.raise_for_status()
                tmp_path.write_bytes(resp.content)
                origin = model.url
            digest = _sha256(tmp_path)
            if digest != model.sha256:
                raise SystemExit(f"{dest.name} from {origin}: sha256 {digest} does not match {model.sha256}")
            os.chmod(tmp_path, 0o644)  # NamedTemporaryFile makes 0600; actions run as other users read it
            tmp_path.replace(dest)
        finally:
            tmp_path.unlink(missing_ok=True)
        print(f"==> model {dest.name} from {origin}", file=sys.stderr)
        done.append(dest)
    return done


def main(argv: list[str]) -> int:
    if argv[1:2] != ["install"]:
        print("usage: python -m infra.models install", file=sys.stderr)
        return 2
    try:
        install()
    except (OSError, requests.RequestException) as exc:
        print(f"error: could not install the MICR models: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
