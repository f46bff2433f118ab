"""Cloudant and COS clients, kept in module globals so a warm container reuses connections and IAM tokens.

`_CLOUDANT` and `_COS` map a fingerprint of the connection settings to a client; a container is re-used only
for one action, so the maps hold one entry in practice. With `Settings.disable_caches` a new client is built
on every call (the benchmark's "no caches" side). Each getter returns (client, cache_hit).
"""

from __future__ import annotations

import hashlib
from typing import Any

from openchecks import reqcount
from openchecks.config import Settings
from openchecks.errors import ConfigurationError

# HTTP timeouts (seconds) for both services: a hung server must fail the step, not the activation deadline.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30

# Warm-container caches: connection-settings fingerprint -> client. Never expire (credentials are params).
_CLOUDANT: dict[str, Any] = {}
_COS: dict[str, Any] = {}


def _fingerprint(*parts: str) -> str:
    # Hashing keeps the secrets out of the dict keys (and so out of any debug dump of the module).
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def cloudant_client(settings: Settings) -> tuple[Any, bool]:
    """A CloudantV1 client for `settings.cloudant_url`: IAM when `cloudant_apikey` is set, basic auth when
    `cloudant_username` is set, otherwise no auth (a local CouchDB in admin party). Gzip is off
    (pouchdb-server would store gzipped attachments otherwise)."""
    settings.require("cloudant_url")
    key = _fingerprint(
        settings.cloudant_url,
        settings.cloudant_apikey,
        settings.cloudant_username,
        settings.cloudant_password,
        settings.cloudant_iam_url,
    )
    if not settings.disable_caches and key in _CLOUDANT:
        return _CLOUDANT[key], True
    from ibm_cloud_sdk_core.authenticators import (
        Authenticator,
        BasicAuthenticator,
        IAMAuthenticator,
        NoAuthAuthenticator,
    )
    from ibmcloudant.cloudant_v1 import CloudantV1

    authenticator: Authenticator
    if settings.cloudant_apikey:
        authenticator = IAMAuthenticator(settings.cloudant_apikey, url=settings.cloudant_iam_url or None)
    elif settings.cloudant_username:
        authenticator = BasicAuthenticator(settings.cloudant_username, settings.cloudant_password)
    else:
        authenticator = NoAuthAuthenticator()
    client = CloudantV1(authenticator=authenticator)
    client.set_service_url(settings.cloudant_url.rstrip("/"))
    client.set_enable_gzip_compression(False)
    client.set_http_config({"timeout": (CONNECT_TIMEOUT, READ_TIMEOUT)})
    reqcount.hook_cloudant(client)
    if not settings.disable_caches:
        _CLOUDANT[key] = client
    return client, False


def cos_client(settings: Settings) -> tuple[Any, bool]:
    """An S3 client for `settings.cos_endpoint` (path-style, SigV4): HMAC keys when `cos_access_key_id` is
    set (required for presigned URLs), otherwise IAM with `cos_apikey` + `cos_instance_id`."""
    settings.require("cos_endpoint")
    key = _fingerprint(
        settings.cos_endpoint,
        settings.cos_access_key_id,
        settings.cos_secret_access_key,
        settings.cos_apikey,
        settings.cos_instance_id,
        settings.cos_region,
    )
    if not settings.disable_caches and key in _COS:
        return _COS[key], True
    client = build_cos_client(settings, settings.cos_endpoint)
    if not settings.disable_caches:
        _COS[key] = client
    return client, False


def build_cos_client(settings: Settings, endpoint: str) -> Any:
    """A new S3 client for `endpoint` with the credentials in `settings` (no caching)."""
    import ibm_boto3
    from ibm_botocore.client import Config

    s3_config = {"addressing_style": "path"}
    client: Any
    if settings.cos_access_key_id:
        client = ibm_boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.cos_region,
            aws_access_key_id=settings.cos_access_key_id,
            aws_secret_access_key=settings.cos_secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3=s3_config,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": 2},
            ),
        )
    elif settings.cos_apikey:
        settings.require("cos_instance_id")
        client = ibm_boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.cos_region,
            ibm_api_key_id=settings.cos_apikey,
            ibm_service_instance_id=settings.cos_instance_id,
            ibm_auth_endpoint=settings.cos_iam_url or None,
            config=Config(
                signature_version="oauth",
                s3=s3_config,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": 2},
            ),
        )
    else:
        raise ConfigurationError(
            "No COS credentials are configured; set cos_access_key_id and cos_secret_access_key (HMAC keys, "
            "needed for browser uploads) or cos_apikey and cos_instance_id."
        )
    reqcount.hook_s3(client)
    return client


def reset_client_caches() -> None:
    """Forget every cached client (tests; a recycled container starts this way)."""
    _CLOUDANT.clear()
    _COS.clear()
