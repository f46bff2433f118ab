"""Load a wskdeploy-format manifest into a Model, with the deployment-file overlay and variables.

One module per concern:

    schema.py    the keys each section allows, input types, runtime kinds, API verbs (tables only)
    parse.py     reading YAML (duplicate keys refused) and ``--param`` values
    coerce.py    `Reader`: a load's problems and warnings, names, ``$VAR`` substitution, typed inputs
    overlay.py   the deployment file: its packages overlay the manifest's inputs and annotations
    validate.py  checks across entities (undeclared references) and values OpenWhisk would refuse
    loader.py    `ManifestLoader`: walks project, packages and entities into the Model; `load_manifest`
"""

from infra.deployer.manifest.loader import ManifestLoader, find_deployment, find_manifest, load_manifest
from infra.deployer.manifest.parse import parse_cli_value, read_yaml

__all__ = [
    "ManifestLoader",
    "find_deployment",
    "find_manifest",
    "load_manifest",
    "parse_cli_value",
    "read_yaml",
]
