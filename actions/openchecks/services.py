"""The two services as the code uses them: exactly the CloudantV1 and boto3-S3 methods called, with the
keyword arguments they are called with.

`DocumentClient` is what DepositStore, Ledger, ExportStore and the provisioning call on a CloudantV1 client
(`openchecks.clients.cloudant_client`); `ObjectClient` is what Storage and the export's upload call on an S3
client (`openchecks.clients.cos_client`). `ActionContext(..., documents=, objects=)` takes either in place of
the clients it would build, which is how the unit tier runs the real code on tests/fixtures/fakes.py.
Neither SDK ships type information, so the real clients are `Any` to mypy; the fakes are checked against
these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO, Protocol


class DocumentResult(Protocol):
    """A CloudantV1 answer (ibm_cloud_sdk_core.DetailedResponse): the JSON body."""

    def get_result(self) -> Any: ...


class DocumentClient(Protocol):
    """The CloudantV1 methods openchecks calls (failures raise ApiException with `status_code`)."""

    def get_document(self, *, db: str, doc_id: str) -> DocumentResult: ...

    def put_document(self, *, db: str, doc_id: str, document: Mapping[str, Any]) -> DocumentResult: ...

    def delete_document(self, *, db: str, doc_id: str, rev: str) -> DocumentResult: ...

    def post_bulk_docs(self, *, db: str, bulk_docs: Mapping[str, Any]) -> DocumentResult: ...

    def post_find(
        self,
        *,
        db: str,
        selector: Mapping[str, Any],
        limit: int = ...,
        skip: int = ...,
        sort: list[dict[str, str]] | None = ...,
        fields: list[str] | None = ...,
    ) -> DocumentResult: ...

    def post_view(self, *, db: str, ddoc: str, view: str, keys: list[str]) -> DocumentResult: ...

    def post_all_docs(self, *, db: str, keys: list[str], include_docs: bool = ...) -> DocumentResult: ...

    # provisioning (openchecks.provision)
    def put_database(self, *, db: str) -> DocumentResult: ...

    def post_index(self, *, db: str, index: Any, ddoc: str, name: str, type: str) -> DocumentResult: ...

    def get_design_document(self, *, db: str, ddoc: str) -> DocumentResult: ...

    def put_design_document(self, *, db: str, ddoc: str, design_document: Any) -> DocumentResult: ...


class ObjectClient(Protocol):
    """The boto3 S3 client methods openchecks calls (failures raise botocore ClientError with `response`)."""

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]: ...

    def get_object(self, *, Bucket: str, Key: str, IfMatch: str | None = ...) -> dict[str, Any]: ...

    def put_object(
        self,
        *,
        Bucket: str,
        Key: str,
        Body: bytes | BinaryIO,
        ContentType: str = ...,
        ContentLength: int | None = ...,
    ) -> dict[str, Any]: ...

    def delete_object(self, *, Bucket: str, Key: str) -> dict[str, Any]: ...

    def generate_presigned_url(
        self,
        ClientMethod: str,
        Params: Mapping[str, Any] | None = ...,
        ExpiresIn: int = ...,
        HttpMethod: str | None = ...,
    ) -> str: ...

    # provisioning (Storage.ensure_bucket, Storage.put_cors)
    def head_bucket(self, *, Bucket: str) -> dict[str, Any]: ...

    def create_bucket(self, *, Bucket: str) -> dict[str, Any]: ...

    def put_bucket_cors(self, *, Bucket: str, CORSConfiguration: Mapping[str, Any]) -> dict[str, Any]: ...
