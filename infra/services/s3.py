"""s3rver as the local IBM Cloud Object Storage (S3 API); buckets with the CORS rule browser uploads need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.services.process import NODE_BIN, ManagedProcess

# s3rver accepts only this key pair and checks no signature; real COS keys come from the environment.
ACCESS_KEY = "S3RVER"
SECRET_KEY = "S3RVER"

# Browser uploads PUT to a presigned URL and read back with GET/HEAD from the UI's origin.
UPLOAD_CORS_RULE: dict[str, Any] = {
    "AllowedMethods": ["PUT", "GET", "HEAD"],
    "AllowedOrigins": ["*"],
    "AllowedHeaders": ["*"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 3000,
}


def s3_process(data_dir: Path, port: int, log_path: Path | None = None) -> ManagedProcess:
    """An s3rver on 127.0.0.1:`port` keeping buckets and objects in `data_dir`."""
    data_dir = Path(data_dir)
    url = f"http://127.0.0.1:{port}"
    return ManagedProcess(
        name="s3",
        argv=[str(NODE_BIN / "s3rver"), "-d", str(data_dir), "-a", "127.0.0.1", "-p", str(port)],
        url=url,
        health_url=f"{url}/",
        log_path=log_path or data_dir.parent / f"{data_dir.name}-s3rver.log",
        cwd=data_dir,
        # Without the legacy provider, paginated listings answer 500 on Node 20.
        env={"NODE_OPTIONS": "--openssl-legacy-provider"},
    )


def s3_client(url: str) -> Any:
    """An ibm_boto3 S3 client for the s3rver at `url` (path-style, SigV4, s3rver's fixed key pair)."""
    import ibm_boto3
    from ibm_botocore.client import Config

    return ibm_boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def ensure_bucket(url: str, name: str, cors: bool = True) -> None:
    """Create bucket `name` if missing and (re)apply the upload CORS rule; safe to call repeatedly."""
    client = s3_client(url)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        client.create_bucket(Bucket=name)
    if cors:
        client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [UPLOAD_CORS_RULE]})
