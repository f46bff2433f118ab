"""The local stand-ins for Cloudant and IBM COS (pouchdb-server, s3rver): start, health, supervise.

- `process.ManagedProcess`: one child process with a log file, a health probe and a stop with deadlines.
- `couchdb.couchdb_process` / `s3.s3_process`: the two servers as `ManagedProcess` objects.
- `s3.ensure_bucket`: a bucket with the CORS rule browser uploads need.
- `supervise.Supervisor`: keeps `ManagedProcess`es alive (restart with backoff), records state.
"""
