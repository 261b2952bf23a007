"""The package version; its MAJOR.MINOR must match the loaded liblinlearn's."""

__version__ = "0.2.0"
