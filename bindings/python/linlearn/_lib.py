"""Finds and loads liblinlearn, declares the C ABI (linlearn.h, event.h) for ctypes.

Where the library is looked for, first match wins:

1. ``LINLEARN_LIBRARY``: the path of the library file (nothing else is tried);
2. ``LINLEARN_LIBRARY_DIR``: a folder holding it (nothing else is tried);
3. the package's own folder (a wheel that bundles the library);
4. the dynamic loader's search by SONAME (``liblinlearn.so.1``: ``LD_LIBRARY_PATH``,
   the ldconfig cache, the system folders);
5. the library folders of this Python's prefix, ``/usr/local`` and ``/usr``, where
   ``cmake --install`` puts it (also when ldconfig has not been run).

Every function returning a status is declared with an ``errcheck`` that raises the
matching :mod:`linlearn._errors` exception, on the calling thread (the library keeps
the last error per thread).
"""

import ctypes
import os
import sys
import sysconfig
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_int32, c_int64,
                    c_size_t, c_uint32, c_void_p)

from ._errors import BufferTooSmallError, error_for_status
from ._version import __version__

# ---- event.h ------------------------------------------------------------------------------


class Metric(Structure):
    _fields_ = [("name", c_char_p), ("value", c_double)]


class MetricSet(Structure):
    _fields_ = [("struct_size", c_uint32), ("phase", c_uint32), ("model", c_int32),
                ("count", c_uint32), ("metrics", POINTER(Metric))]


class Param(Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class ModelParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("model", c_int32), ("n_params", c_uint32),
                ("params", POINTER(Param))]


class Event(Structure):
    _fields_ = [
        ("struct_size", c_uint32), ("kind", c_uint32), ("run_id", c_char_p),
        ("timestamp_ms", c_int64), ("elapsed_s", c_double), ("epoch", c_int32),
        ("model", c_int32), ("n_metric_sets", c_uint32), ("metric_sets", POINTER(MetricSet)),
        ("predictor_type", c_char_p), ("library_version", c_char_p), ("n_params", c_uint32),
        ("params", POINTER(Param)), ("n_features", c_int64), ("n_train_rows", c_int64),
        ("n_validation_rows", c_int64), ("n_test_rows", c_int64), ("num_models", c_int32),
        ("num_classes", c_int32), ("learning_rate", c_double), ("throughput", c_double),
        ("status", c_uint32), ("message", c_char_p), ("best_epoch", c_int32),
        ("model_path", c_char_p), ("total_time_s", c_double), ("sink_time_s", c_double),
        ("diagnostic_code", c_char_p),
        # sink ABI 1.1
        ("n_model_params", c_uint32), ("model_params", POINTER(ModelParams)),
    ]


# ---- linlearn.h ---------------------------------------------------------------------------

PREDICT_SCORE, PREDICT_LABEL, PREDICT_RAW = 0, 1, 2
ALERT_STOP = 1
PREDICTOR_TYPES = {1: "binary_classifier", 2: "multiclass_classifier", 3: "regressor"}


class ModelInfo(Structure):
    _fields_ = [("struct_size", c_uint32), ("predictor_type", c_uint32),
                ("num_features", c_int64), ("num_classes", c_int32), ("num_outputs", c_int32),
                ("threshold", c_double), ("best_epoch", c_int32), ("best_model", c_int32),
                ("status", c_uint32), ("score_is_probability", c_uint32)]


EVENT_CALLBACK = CFUNCTYPE(c_int, POINTER(Event), c_void_p)

_p = c_void_p  # handles and array addresses
_out = POINTER(c_void_p)
_SIGNATURES = {
    # name: (restype, argtypes); c_int results are statuses and get the errcheck
    "ll_version_string": (c_char_p, []),
    "ll_last_error": (c_char_p, []),
    "ll_dataset_from_dense": (c_int, [_p, c_int64, c_int64, c_int64, _p, _p, c_uint32, _out]),
    "ll_dataset_from_dense_f64": (c_int, [_p, c_int64, c_int64, c_int64, _p, _p, _out]),
    "ll_dataset_from_csr": (c_int, [_p, _p, _p, c_int64, c_int64, _p, _p, c_uint32, _out]),
    "ll_dataset_from_file": (c_int, [c_char_p, c_char_p, _out]),
    "ll_dataset_shape": (c_int, [_p, POINTER(c_int64), POINTER(c_int64)]),
    "ll_dataset_free": (None, [_p]),
    "ll_trainer_create": (c_int, [_out]),
    "ll_trainer_free": (None, [_p]),
    "ll_trainer_set": (c_int, [_p, c_char_p, c_char_p]),
    "ll_trainer_get": (c_int, [_p, c_char_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "ll_trainer_set_option": (c_int, [_p, c_char_p, c_char_p]),
    "ll_trainer_set_callback": (c_int, [_p, EVENT_CALLBACK, _p]),
    "ll_trainer_add_sink": (c_int, [_p, c_char_p]),
    "ll_trainer_add_alert": (c_int, [_p, c_char_p, c_uint32]),
    "ll_trainer_clear_alerts": (c_int, [_p]),
    "ll_trainer_get_alerts": (c_int, [_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "ll_trainer_cancel": (c_int, [_p]),
    "ll_trainer_clear_cancel": (c_int, [_p]),
    "ll_trainer_fit": (c_int, [_p, _p, _p, _p, _out]),
    "ll_model_info_get": (c_int, [_p, POINTER(ModelInfo)]),
    "ll_model_predict": (c_int, [_p, _p, c_int, _p, c_size_t, POINTER(c_size_t)]),
    "ll_model_evaluate": (c_int, [_p, _p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "ll_model_save": (c_int, [_p, c_char_p]),
    "ll_model_load": (c_int, [c_char_p, _out]),
    "ll_model_free": (None, [_p]),
}


def _raise_on_error(status, func, args):
    if status != 0:
        message = lib.ll_last_error().decode("utf-8", "replace")
        raise error_for_status(status, message or f"{func.__name__} failed with status {status}")
    return status


def read_text(func, *args):
    """Calls func(*args, buf, buf_size, needed) by the two-call buffer pattern; returns str."""
    size = 256
    while True:
        buf, needed = ctypes.create_string_buffer(size), c_size_t()
        try:
            func(*args, buf, size, ctypes.byref(needed))
            return buf.value.decode("utf-8", "replace")
        except BufferTooSmallError:
            size = max(needed.value, 2 * size)


def _declare(library):
    for name, (restype, argtypes) in _SIGNATURES.items():
        func = getattr(library, name)
        func.restype, func.argtypes = restype, argtypes
        if restype is c_int:
            func.errcheck = _raise_on_error
    return library


# ---- finding the library --------------------------------------------------------------------

if sys.platform == "darwin":
    _FILE_NAMES = ("liblinlearn.1.dylib", "liblinlearn.dylib")
elif os.name == "nt":
    _FILE_NAMES = ("linlearn.dll",)
else:
    _FILE_NAMES = ("liblinlearn.so.1", "liblinlearn.so")


def _install_dirs():
    """The library folders of the usual install prefixes, this Python's first."""
    multiarch = sysconfig.get_config_var("MULTIARCH")
    subdirs = ["lib", "lib64"] + ([os.path.join("lib", multiarch)] if multiarch else [])
    dirs = []
    for prefix in (sys.prefix, "/usr/local", "/usr"):
        dirs += [os.path.join(prefix, sub) for sub in subdirs]
    return list(dict.fromkeys(dirs))


def _files_in(folders):
    return [os.path.join(folder, name) for folder in folders for name in _FILE_NAMES]


class _DlInfo(Structure):
    _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p), ("dli_sname", c_char_p),
                ("dli_saddr", c_void_p)]


def _path_of(library, fallback):
    """The file the loader picked for library (via dladdr), or fallback if unknown."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError, TypeError):
        return fallback
    dladdr.argtypes, dladdr.restype = [c_void_p, POINTER(_DlInfo)], c_int
    info = _DlInfo()
    address = ctypes.cast(library.ll_version_string, c_void_p)
    if dladdr(address, ctypes.byref(info)) and info.dli_fname:
        return os.fsdecode(info.dli_fname)
    return fallback


def _load():
    """Returns (CDLL, path) of the first library found, or raises ImportError."""
    explicit = os.environ.get("LINLEARN_LIBRARY")
    folder = os.environ.get("LINLEARN_LIBRARY_DIR")
    if explicit or folder:
        where = "LINLEARN_LIBRARY" if explicit else "LINLEARN_LIBRARY_DIR"
        candidates = [explicit] if explicit else _files_in([folder])
        for path in candidates:
            if os.path.exists(path):
                try:
                    return ctypes.CDLL(os.path.abspath(path)), os.path.abspath(path)
                except OSError as e:
                    raise ImportError(f"linlearn: cannot load {path} (from {where}): {e}") from e
        raise ImportError(f"linlearn: {where} is set, but none of {candidates} exists")

    tried = []
    for path in _files_in([os.path.dirname(os.path.abspath(__file__))]):
        if os.path.exists(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    try:
        library = ctypes.CDLL(_FILE_NAMES[0])
        return library, _path_of(library, _FILE_NAMES[0])
    except OSError:
        tried.append(f"{_FILE_NAMES[0]} (the dynamic loader's search)")
    for path in _files_in(_install_dirs()):
        if os.path.exists(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError("linlearn: cannot find the C library liblinlearn; set LINLEARN_LIBRARY to "
                      "its path (build/lib/liblinlearn.so in a build tree). Tried: "
                      + ", ".join(tried))


def check_version(library_version, path):
    """Raises ImportError unless the library's MAJOR.MINOR equals the package's."""
    if library_version.split(".")[:2] != __version__.split(".")[:2]:
        want = ".".join(__version__.split(".")[:2])
        raise ImportError(
            f"linlearn {__version__} (Python package) needs liblinlearn {want}.x, but the library "
            f"loaded from {path} is version {library_version}; set LINLEARN_LIBRARY to a "
            f"matching build")


lib, library_path = _load()
_declare(lib)
library_version = lib.ll_version_string().decode()
check_version(library_version, library_path)
