"""The `ui` web action (actions/ui/__main__.py) and the page's files, without a platform."""

from __future__ import annotations

import base64
import importlib.util
import json
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
    # as a raw web action gets them: the query and body never become parameters
    args = {"__ow_method": "get", "__ow_path": path, "__ow_headers": {}, "__ow_query": "", "__ow_body": ""}
    return dict(action.main({**args, **extra}))


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
        "https://*",
        "https://*.example.com",
        "http://user:pw@cos.example",
        'http://cos.example"><script>',
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
    post = action.main({"__ow_method": "post", "__ow_path": "/", "__ow_query": ""})
    assert post["statusCode"] == 405 and post["headers"]["Allow"] == "GET, HEAD"
    etag = get("/app.js")["headers"]["ETag"]
    assert get("/app.js", __ow_headers={"if-none-match": etag})["statusCode"] == 304
    assert get("/app.js", __ow_headers={"if-none-match": '"other"'})["statusCode"] == 200
    head = action.main({"__ow_method": "head", "__ow_path": "/app.js", "__ow_query": ""})
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
    assert "/vendor/oauth4webapi.js" in files
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


def test_a_plain_web_action_is_refused_because_the_request_could_set_its_parameters() -> None:
    """Deployed `web: true`, `?ui_storage_origins=https://*` arrives as a parameter: nothing is served."""
    reply = action.main({"__ow_method": "get", "__ow_path": "/", "ui_storage_origins": "https://*"})
    assert reply["statusCode"] == 500 and "web: raw" in reply["body"]
    csp = reply["headers"]["Content-Security-Policy"]
    assert "connect-src 'self';" in csp and "*" not in csp and reply["headers"]["X-Frame-Options"] == "DENY"


def test_every_page_carries_the_policy_in_a_meta_element_too() -> None:
    """`.../ui.html/index.html` gets the body without the action's headers: the page carries the CSP."""
    index = get("/", cos_public_endpoint="https://s3.example.com")
    head = index["body"].split("<head>", 1)[1].lstrip()
    assert head.startswith(
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;'
    )
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', index["body"])
    assert meta is not None
    policy = meta.group(1).replace("&#x27;", "'")
    header = index["headers"]["Content-Security-Policy"]
    assert policy == header.replace("; frame-ancestors 'none'", "")  # a meta CSP cannot hold frame-ancestors
    assert "connect-src 'self' https://s3.example.com;" in policy
    other = get("/", cos_public_endpoint="https://other.example.com")
    assert other["headers"]["ETag"] != index["headers"]["ETag"]  # the policy is part of what is cached
    assert (
        get(
            "/",
            cos_public_endpoint="https://s3.example.com",
            __ow_headers={"if-none-match": index["headers"]["ETag"]},
        )["statusCode"]
        == 304
    )
    assert "http-equiv" not in get("/app.js")["body"]


def test_with_meta_policy_without_a_head_puts_it_first() -> None:
    assert action.with_meta_policy("<p>x</p>", "default-src 'none'").startswith(
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;"><p>'
    )
    assert '<HEAD lang="en">\n  <meta http-equiv' in action.with_meta_policy('<HEAD lang="en"><title>', "x")


@pytest.mark.parametrize("dest", ["document", "iframe", "frame", "embed", "object"])
def test_a_navigation_to_a_file_that_is_not_a_page_is_refused(dest: str) -> None:
    """Through `.html` a script would be rendered as a document without any policy: browsers say
    `Sec-Fetch-Dest: document` for that, and get a sentence instead."""
    for path in ("/app.js", "/styles.css", "/icon.svg", "/views/deposit.js"):
        reply = get(path, __ow_headers={"sec-fetch-dest": dest})
        assert reply["statusCode"] == 404 and "not a page" in reply["body"], path
        assert "Content-Security-Policy" in reply["headers"] and "<" not in reply["body"]
    assert get("/", __ow_headers={"sec-fetch-dest": dest})["statusCode"] == 200
    script = get("/app.js", __ow_headers={"sec-fetch-dest": "script"})
    assert script["statusCode"] == 200 and script["headers"]["Vary"] == "Sec-Fetch-Dest"
    assert get("/styles.css", __ow_headers={"sec-fetch-dest": "style"})["statusCode"] == 200


def test_missing_page_files_are_a_500_with_the_policy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(action, "_FILES", None)
    monkeypatch.setattr(action, "UI_DIR_CANDIDATES", (tmp_path,))
    reply = get("/")
    assert reply["statusCode"] == 500 and "redeploy" in reply["body"] and str(tmp_path) not in reply["body"]
    assert reply["headers"]["Content-Security-Policy"].startswith("default-src 'none'")


def test_sign_in_configuration_and_the_provider_origin_in_the_policy() -> None:
    params = {
        "oidc_issuer": "https://sso.example.com/realms/bank",
        "oidc_client_id": "openchecks-web",
        "oidc_audience": "urn:openchecks:api",
    }
    reply = get("/oidc-config.json", **params)
    assert reply["statusCode"] == 200 and reply["headers"]["Cache-Control"] == "no-store"
    assert json.loads(reply["body"]) == {
        "issuer": "https://sso.example.com/realms/bank",
        "client_id": "openchecks-web",
        "scope": "openid email offline_access",
        "resource": "urn:openchecks:api",
        "token": "access",
    }
    page = get("/", **params)
    directives = dict(d.split(" ", 1) for d in page["headers"]["Content-Security-Policy"].split("; "))
    assert directives["connect-src"] == "'self' https://sso.example.com"
    assert "https://sso.example.com" not in directives["img-src"] and directives["form-action"] == "'none'"
    assert "connect-src &#x27;self&#x27; https://sso.example.com" in page["body"]  # the <meta> copy too
    # ID tokens: no resource; no issuer or client id (or a wildcard): there is nothing to sign in at.
    assert json.loads(get("/oidc-config.json", **params, oidc_token="id")["body"])["resource"] == ""
    for broken in ({"oidc_issuer": ""}, {"oidc_client_id": ""}, {"oidc_issuer": "https://*.example.com"}):
        reply = get("/oidc-config.json", **{**params, **broken})
        assert json.loads(reply["body"]) == {}
        assert "sso.example.com" not in reply["headers"]["Content-Security-Policy"]


def test_the_pinned_client_library_is_served_from_node_modules() -> None:
    assert (UI / "vendor" / "oauth4webapi.js").is_symlink()  # nothing fetched is committed
    served = get("/vendor/oauth4webapi.js")
    assert served["statusCode"] == 200 and served["headers"]["Content-Type"].startswith("text/javascript")
    pinned = (REPO / "infra" / "node_modules" / "oauth4webapi" / "build" / "index.js").read_text()
    assert served["body"] == pinned
