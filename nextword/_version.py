"""The version of nextword: every module takes it from here, not from the package root."""

__version__ = "0.1.0"
