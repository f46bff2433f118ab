"""The `ui` web action (actions/ui/__main__.py) and the page's files, without a platform."""

from __future__ import annotations

import base64
import importlib.util
import posixpath
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "ui"


def load_action() -> ModuleType:
    """Import actions/ui/__main__.py the way the launcher does (as its own module)."""
    spec = importlib.util.spec_from_file_location(
        "ui_action_under_test", REPO / "actions" / "ui" / "__main__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


action = load_action()


def get(path: str, **extra: Any) -> dict[str, Any]:
    return dict(action.main({"__ow_method": "get", "__ow_path": path, "__ow_headers": {}, **extra}))


def test_index_and_assets_have_types_and_headers() -> None:
    index = get("/")
    assert index["statusCode"] == 200
    headers = index["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache" and re.fullmatch(r'"[0-9a-f]{20}"', headers["ETag"])
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert '<script type="module" src="app.js">' in index["body"]
    assert get("/index.html")["body"] == index["body"]
    assert get("/app.js")["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert get("/views/deposit.js")["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert get("/styles.css")["headers"]["Content-Type"] == "text/css; charset=utf-8"
    assert get("/icon.svg")["headers"]["Content-Type"] == "image/svg+xml"


def test_csp_is_strict_and_names_the_storage_origin() -> None:
    csp = get("/", cos_endpoint="http://cos.internal:9000", cos_public_endpoint="https://s3.example.com/x?y")[
        "headers"
    ]["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self' https://s3.example.com"
    assert directives["img-src"] == "'self' blob: data: https://s3.example.com"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in csp
    only_private = get("/", cos_endpoint="http://127.0.0.1:4568")["headers"]["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:4568;" in only_private
    explicit = get("/", ui_storage_origins="https://a.example, http://b.example:81", cos_endpoint="http://c")
    assert (
        "connect-src 'self' http://b.example:81 https://a.example;"
        in explicit["headers"]["Content-Security-Policy"]
    )
    bare = get("/")["headers"]["Content-Security-Policy"]
    assert "connect-src 'self';" in bare


@pytest.mark.parametrize(
    "hostile",
    [
        "http://x; script-src *",
        "javascript:alert(1)",
        "http://a b",
        "ftp://files.example",
        "http://'x'",
    ],
)
def test_csp_ignores_origins_that_are_not_plain_http(hostile: str) -> None:
    csp = get("/", cos_public_endpoint=hostile)["headers"]["Content-Security-Policy"]
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp


def test_redirect_not_found_method_and_conditional_get() -> None:
    bare = get("")
    assert bare["statusCode"] == 302 and bare["headers"]["Location"] == "ui/"
    for path in (
        "/nothing.js",
        "/../pyproject.toml",
        "/views/../../actions/ui/__main__.py",
        "/app.js\\x",
        "/.hidden",
    ):
        reply = get(path)
        assert reply["statusCode"] == 404 and "Content-Security-Policy" in reply["headers"], path
        assert reply["headers"]["Content-Type"].startswith("text/plain")
    post = action.main({"__ow_method": "post", "__ow_path": "/"})
    assert post["statusCode"] == 405 and post["headers"]["Allow"] == "GET, HEAD"
    etag = get("/app.js")["headers"]["ETag"]
    assert get("/app.js", __ow_headers={"if-none-match": etag})["statusCode"] == 304
    assert get("/app.js", __ow_headers={"if-none-match": '"other"'})["statusCode"] == 200
    head = action.main({"__ow_method": "head", "__ow_path": "/app.js"})
    assert head["statusCode"] == 200 and head["body"] == "" and head["headers"]["ETag"] == etag


def test_load_files_encodes_binary_and_refuses_huge_files(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (tmp_path / "notes.py").write_text("not served")
    files = action.load_files(tmp_path)
    assert sorted(files) == ["/index.html", "/logo.png"]
    assert base64.b64decode(files["/logo.png"].body) == b"\x89PNG\r\n\x1a\n\x00"
    (tmp_path / "big.js").write_bytes(b"x" * (action.MAX_FILE_BYTES + 1))
    with pytest.raises(ValueError, match="at most"):
        action.load_files(tmp_path)


def test_every_module_the_page_imports_is_served() -> None:
    files = action.load_files(UI)
    referenced = set(re.findall(r'(?:src|href)="([^"#:]+)"', files["/index.html"].body))
    assert {"app.js", "styles.css", "icon.svg"} <= referenced
    for name in referenced:
        assert "/" + name in files, name
    for path, served in files.items():
        if not path.endswith(".js"):
            continue
        for target in re.findall(r"from '(\.[^']+)'", served.body):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            assert resolved in files, f"{path} imports {target}, which is not served"


def test_scripts_never_write_markup_or_evaluate_strings() -> None:
    """Every value reaches the page through textContent or attributes (ui/dom.js), never as markup."""
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setTimeout\(\s*['\"`]|srcdoc|javascript:"
    )
    offenders = []
    for path in sorted(UI.rglob("*.js")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if forbidden.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
    html = (UI / "index.html").read_text()
    assert "<script>" not in html and " style=" not in html
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handlers are blocked by the CSP"
