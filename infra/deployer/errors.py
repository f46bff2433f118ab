"""Errors the deployer raises; each carries what a person needs to fix the cause."""

from __future__ import annotations

from dataclasses import dataclass

from infra.owclient import KeyFormatError, WhiskError

__all__ = [
    "ConfigError",
    "DeployerError",
    "KeyFormatError",
    "ManifestError",
    "Problem",
    "WhiskError",
]


class DeployerError(Exception):
    """Base class: anything the deployer reports instead of crashing."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a manifest: the file, the entity (e.g. ``action pkg/name``) and the key."""

    file: str
    entity: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entity}: {self.key}: {self.message}"


class ManifestError(DeployerError):
    """The manifest (or deployment file, or env file) is wrong; raised before anything is deployed.

    ``problems`` lists every mistake found, each naming file, entity and key.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, entity: str, key: str, message: str) -> ManifestError:
        return cls([Problem(file, entity, key, message)])


class ConfigError(DeployerError):
    """The API host, key or namespace could not be determined, or a command-line value is wrong."""
