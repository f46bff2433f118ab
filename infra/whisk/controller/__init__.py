"""The REST controller of the local OpenWhisk, one module per part as OpenWhisk's controller has them:

    core.py         Controller: authentication, the top-level error handling and CORS
    routes.py       the route table: which path goes to which module
    common.py       shared request helpers (query parameters, JSON bodies, list windows, ownership)
    info.py         `/`, `/api/v1`, `/api/v1/api-docs`, `/local/stats`
    namespaces.py   `/api/v1/namespaces` and `.../limits`
    actions.py      actions: CRUD, sequences, invoke (Actions.scala)
    packages.py     packages and bindings (Packages.scala)
    triggers.py     triggers and fire (Triggers.scala)
    rules.py        rules and their status (Rules.scala)
    activations.py  activation records, logs, results (Activations.scala)
    webactions.py   `/api/v1/web/...` (WebActions.scala)
    apigateway.py   the API gateway: `/api/{ns}/{basePath}/...` and the apimgmt management actions

Request and Response are in infra/whisk/http.py.
"""

from infra.whisk.controller.core import API_CORS, Controller
from infra.whisk.http import JSON_TYPE, Request, Response, error_response, json_response

__all__ = ["API_CORS", "JSON_TYPE", "Controller", "Request", "Response", "error_response", "json_response"]
