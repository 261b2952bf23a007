"""Datasets: numpy arrays and scipy.sparse matrices handed to liblinlearn.

The library can borrow float32 memory instead of copying it. :class:`Dataset` borrows
whenever the layout allows and keeps a reference to every borrowed array for as long as
the library's dataset lives, so the memory cannot be freed under it:

* dense float32 whose rows are each contiguous and evenly spaced (C order, or a
  row-strided view such as ``X[:, :k]`` or ``X[::2]``): borrowed;
* dense float64 with such rows: converted to float32 once, inside the library;
* any other dense input (Fortran order, other dtypes): converted to C-order float32
  once, by numpy, and that copy is borrowed;
* CSR with float32 values and int32 column indices, in canonical form (sorted, no
  duplicates): values and indices borrowed. The row pointer, only ``rows + 1``
  integers, is widened to the int64 the C ABI takes: scipy keeps it int32 like the
  indices. Other sparse input is converted once.

Labels and weights are float32 vectors (float64 with float64 dense features), borrowed
when they already are, converted otherwise.
"""

import ctypes
import sys

import numpy as np

from ._lib import lib


def _is_sparse(X):
    sparse = sys.modules.get("scipy.sparse")  # a sparse input means scipy is imported
    return sparse is not None and sparse.issparse(X)


def _row_stride(X):
    """The distance between rows in elements, if each row is contiguous; else None."""
    rows, cols = X.shape
    step, inner = X.strides
    rows_contiguous = inner == X.itemsize or cols <= 1
    if not X.flags.aligned or not rows_contiguous:
        return None
    if X.flags.c_contiguous or rows <= 1:
        return cols
    if step > 0 and step % X.itemsize == 0 and step // X.itemsize >= cols:
        return step // X.itemsize
    return None


def _address(array):
    return None if array is None else array.ctypes.data


class Dataset:
    """A liblinlearn dataset: features, and optional labels and example weights.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or scipy.sparse matrix
    y : array-like of shape (n_samples,), optional
        Labels as the library takes them: 0/1 for binary classification, 0..K-1 for
        multiclass, any number for regression.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative example weights.

    Attributes
    ----------
    shape : (int, int)
    copied : bool
        Whether the features were copied or converted (False: the library reads the
        caller's memory, which must not change while the dataset lives).
    """

    def __init__(self, X, y=None, sample_weight=None):
        self._handle = None
        if _is_sparse(X):
            self._from_csr(X, y, sample_weight)
        else:
            self._from_dense(X, y, sample_weight)

    @classmethod
    def from_file(cls, path, options=None):
        """Reads a labelled CSV or libsvm file (see ll_dataset_from_file for options,
        e.g. ``"format=libsvm,feature_dim=13"`` or ``"header=true"``)."""
        self = cls.__new__(cls)
        self._handle = None
        handle = ctypes.c_void_p()
        lib.ll_dataset_from_file(str(path).encode(), options.encode() if options else None,
                                 ctypes.byref(handle))
        self._handle, self._refs, self.copied = handle, (), True
        rows, cols = ctypes.c_int64(), ctypes.c_int64()
        lib.ll_dataset_shape(handle, ctypes.byref(rows), ctypes.byref(cols))
        self.shape = (rows.value, cols.value)
        return self

    def _vectors(self, y, sample_weight, dtype):
        rows = self.shape[0]
        out = []
        for name, v in (("y", y), ("sample_weight", sample_weight)):
            if v is not None:
                v = np.ascontiguousarray(v, dtype=dtype)
                if v.shape != (rows,):
                    raise ValueError(f"{name} has shape {v.shape}; expected ({rows},)")
            out.append(v)
        return out

    def _from_dense(self, X, y, sample_weight):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional; got shape {X.shape}")
        self.shape = X.shape
        stride = _row_stride(X) if X.dtype in (np.float32, np.float64) else None
        handle = ctypes.c_void_p()
        if stride is not None and X.dtype == np.float64:
            labels, weights = self._vectors(y, sample_weight, np.float64)
            lib.ll_dataset_from_dense_f64(X.ctypes.data, *X.shape, stride, _address(labels),
                                          _address(weights), ctypes.byref(handle))
            self._handle, self._refs, self.copied = handle, (), True
            return
        self.copied = stride is None
        if self.copied:
            X = np.ascontiguousarray(X, dtype=np.float32)
            stride = X.shape[1]
        labels, weights = self._vectors(y, sample_weight, np.float32)
        lib.ll_dataset_from_dense(X.ctypes.data, *X.shape, stride, _address(labels),
                                  _address(weights), 0, ctypes.byref(handle))
        self._handle, self._refs = handle, (X, labels, weights)

    def _from_csr(self, X, y, sample_weight):
        self.shape = X.shape
        self.copied = X.format != "csr" or X.data.dtype != np.float32 or X.indices.dtype != np.int32
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
            self.copied = True
        values = np.ascontiguousarray(X.data, dtype=np.float32)
        indices = np.ascontiguousarray(X.indices, dtype=np.int32)
        indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
        labels, weights = self._vectors(y, sample_weight, np.float32)
        handle = ctypes.c_void_p()
        lib.ll_dataset_from_csr(indptr.ctypes.data, indices.ctypes.data, values.ctypes.data,
                                *X.shape, _address(labels), _address(weights), 0,
                                ctypes.byref(handle))
        self._handle, self._refs = handle, (values, indices, indptr, labels, weights)

    @property
    def handle(self):
        """The ll_dataset* (as ctypes.c_void_p); ValueError once closed."""
        if self._handle is None:
            raise ValueError("the dataset is closed")
        return self._handle

    def close(self):
        """Frees the library's dataset and releases the borrowed arrays."""
        if getattr(self, "_handle", None) is not None:  # None also when __init__ never ran
            lib.ll_dataset_free(self._handle)
            self._handle, self._refs = None, ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        return f"<linlearn.Dataset {self.shape[0]}x{self.shape[1]} copied={self.copied}>"
