"""Typed exceptions of the core; the command line maps them to exit codes."""

from __future__ import annotations


class CoibotError(Exception):
    """Base of every error coibot raises on purpose."""

    exit_code = 1


class ConfigError(CoibotError):
    """The configuration file is missing or invalid; `problems` holds one line per problem."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the configuration\n{lines}")


class DatabaseUnavailableError(CoibotError):
    """The database URL cannot be reached or opened."""

    exit_code = 2


class SchemaOutdatedError(CoibotError):
    """The database schema is older (or newer) than this version of coibot expects."""

    exit_code = 3


class DataDirError(CoibotError):
    """The data or documents directory cannot be created or written."""

    exit_code = 2


class ExtractionError(CoibotError):
    """A document could not be read; `code` is a stable machine-readable reason."""

    exit_code = 4

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class RequirementsError(CoibotError):
    """A requirements file or client reference is invalid."""

    exit_code = 2
