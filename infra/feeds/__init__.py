"""The feed provider of the local stack: /whisk.system/alarms and /whisk.system/cloudant `changes`.

`python -m infra.feeds --port P --data-dir D --whisk-api URL` runs one process that keeps every feed's
configuration and cursor in SQLite (`D/feeds.sqlite3`), fires triggers through the OpenWhisk REST API with
the trigger owner's key, and offers the lifecycle (CREATE/READ/UPDATE/DELETE) over a small HTTP API that the
catalog's feed actions call (`infra.feeds.api`).

- `dates`, `alarms`: validation of alarm/interval/once parameters and the schedule (pure, unit-tested).
- `changes`: validation of `changes` parameters and the follower of a database's `_changes`.
- `store`: persisted feeds and cursors. `whisk`: firing and deleting triggers. `provider`: ties them together.
"""
