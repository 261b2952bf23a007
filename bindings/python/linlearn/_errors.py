"""Exceptions for the C library's status codes (LL_E_* in linlearn.h).

Every failing call raises the subclass of :class:`LinlearnError` for its status, with
the library's message (which names the C function, the argument and the value). Each
subclass also derives from the built-in exception a Python caller would expect, so
``except ValueError`` catches an invalid hyperparameter.
"""


class LinlearnError(Exception):
    """A call into liblinlearn failed. ``status`` is the LL_E_* code (negative)."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(LinlearnError, ValueError):
    """LL_E_INVALID_ARG: a bad argument, hyperparameter key or value, or bad data."""

    status = -1


class LinlearnIOError(LinlearnError, OSError):
    """LL_E_IO: a file could not be opened, read or written."""

    status = -2


class ParseError(LinlearnError, ValueError):
    """LL_E_PARSE: malformed data text; the message has file:line:column."""

    status = -3


class ModelFormatError(LinlearnError, ValueError):
    """LL_E_MODEL_FORMAT: not a model file, truncated, corrupted, or too new."""

    status = -4


class PluginError(LinlearnError, RuntimeError):
    """LL_E_PLUGIN: a sink plugin could not be loaded or failed."""

    status = -5


class CallbackError(LinlearnError, RuntimeError):
    """LL_E_CALLBACK: the event callback failed."""

    status = -6


class CancelledError(LinlearnError, RuntimeError):
    """LL_E_CANCELLED: training was cancelled before a model could be made."""

    status = -7


class StateError(LinlearnError, RuntimeError):
    """LL_E_STATE: a call in the wrong order (for example while a fit runs)."""

    status = -8


class LinlearnMemoryError(LinlearnError, MemoryError):
    """LL_E_NOMEM: the library ran out of memory."""

    status = -9


class BufferTooSmallError(LinlearnError, ValueError):
    """LL_E_BUFFER_TOO_SMALL: an output buffer was too small (handled internally)."""

    status = -10


class InternalError(LinlearnError, RuntimeError):
    """LL_E_INTERNAL: a bug or an unexpected failure inside the library."""

    status = -11


_BY_STATUS = {
    cls.status: cls
    for cls in (InvalidArgumentError, LinlearnIOError, ParseError, ModelFormatError, PluginError,
                CallbackError, CancelledError, StateError, LinlearnMemoryError,
                BufferTooSmallError, InternalError)
}


def error_for_status(status, message):
    """The exception for a status code; unknown codes give a plain LinlearnError."""
    cls = _BY_STATUS.get(status)
    return cls(message) if cls else LinlearnError(message, status)
