"""The /whisk.system packages of the local stack, installed through the OpenWhisk REST API.

- `/whisk.system/alarms` (published; params `trigger_payload: ""`, `provider_endpoint`): feed actions
  `alarm`, `interval`, `once` (annotation `feed: true`).
- `/whisk.system/cloudant` (published; params `dbname host username password url provider_endpoint`):
  feed action `changes`, actions `read` (dbname + id/docid -> the document) and `write` (dbname + doc).
- `/guest/cloudant-local`: a binding of `/whisk.system/cloudant` to the local CouchDB (`url`), so app
  triggers use `/guest/cloudant-local/changes` and sequences `/guest/cloudant-local/read` locally, and the
  same manifest binds `/whisk.system/cloudant` with Cloudant credentials in the cloud.

`python -m infra.catalog install --apihost URL --feeds-url URL --couchdb-url URL` (idempotent: entities
already as wanted are left alone, so a second install creates no new revisions).
"""
