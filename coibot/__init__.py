"""coibot: tracks Certificates of Insurance by email and Slack."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coibot")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
