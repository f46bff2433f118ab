"""The manifest deployer: a Python implementation of the wskdeploy manifest format.

It works in three stages, after aws/chalice's deployer. ``manifest/`` reads the manifest (and an
optional ``deployment.yaml`` overlay and env file), substitutes ``$VAR`` variables, zips directory
actions and validates everything, producing a ``model.Model`` or a ManifestError listing every
mistake. ``plan.py`` turns the model into ordered REST operations (wskdeploy's order; reversed,
feeds first, for uninstall) without any I/O. ``execute.py`` carries the plan out through
``infra.owclient.WhiskClient``, reading each entity first and skipping the unchanged ones, so a redeploy
of the same manifest changes nothing. A dry run prints the plan (and, when the host answers, what
would change). ``__main__.py`` is the command line used by ``deploy.sh``.
"""
