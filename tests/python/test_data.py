"""Datasets: which layouts are borrowed without a copy, and proof that borrowing is real."""

import numpy as np
import pytest
import scipy.sparse as sp

import linlearn


@pytest.fixture(scope="module")
def model():
    """A regressor on 6 features, to read datasets back through predictions."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6)).astype(np.float32)
    y = X @ np.arange(1, 7, dtype=np.float32)
    with linlearn.Trainer({"predictor_type": "regressor", "epochs": 5, "num_models": 2}) as t, \
            linlearn.Dataset(X, y) as data:
        return t.fit(data)


BASE = np.arange(48, dtype=np.float32).reshape(8, 6) / 10
WIDE = np.arange(80, dtype=np.float32).reshape(8, 10) / 10


def csr_with_int64_indices(X):
    """scipy builds int32 indices for small matrices; large ones have int64."""
    X = sp.csr_matrix(X)
    X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    return X


LAYOUTS = {
    # name: (features, copied)
    "float32 C order": (BASE, False),
    "float32 column slice": (WIDE[:, 2:8], False),
    "float32 every other row": (np.repeat(BASE, 2, axis=0)[::2], False),
    "float32 one row": (BASE[3:4], False),
    "float32 Fortran order": (np.asfortranarray(BASE), True),
    "float32 reversed rows": (BASE[::-1], True),
    "float64 C order": (BASE.astype(np.float64), True),
    "float64 column slice": (WIDE.astype(np.float64)[:, 2:8], True),
    "int64": (np.arange(48).reshape(8, 6), True),
    "CSR float32": (sp.csr_matrix(BASE), False),
    "CSR float64": (sp.csr_matrix(BASE.astype(np.float64)), True),
    "CSR int64 indices": (csr_with_int64_indices(BASE), True),
    "CSC float32": (sp.csc_matrix(BASE), True),
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_copy_flag_by_layout(name, model):
    X, copied = LAYOUTS[name]
    with linlearn.Dataset(X) as data:
        assert data.copied is copied
        assert data.shape == X.shape
        # Whatever the path, the library sees the same values.
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        expected = model.predict(np.ascontiguousarray(dense, dtype=np.float32), "raw")
        np.testing.assert_allclose(model.predict(data, "raw"), expected, rtol=1e-6)


def test_unsorted_csr_is_canonicalised():
    X = sp.csr_matrix((np.array([2, 1], np.float32), np.array([1, 0], np.int32),
                       np.array([0, 2], np.int32)), shape=(1, 2))
    assert not X.has_sorted_indices
    with linlearn.Dataset(X) as data:
        assert data.copied


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_borrowed_memory_is_read_live(sparse, model):
    """The library reads the caller's array: a change after creation shows in predictions."""
    X = sp.csr_matrix(BASE) if sparse else BASE.copy()
    with linlearn.Dataset(X) as data:
        assert not data.copied
        before = model.predict(data, "raw")
        values = X.data if sparse else X
        values *= 2  # in place
        after = model.predict(data, "raw")
    assert not np.allclose(before, after)


def test_copied_memory_is_not(model):
    X = np.asfortranarray(BASE)
    with linlearn.Dataset(X) as data:
        before = model.predict(data, "raw")
        X *= 2
        np.testing.assert_array_equal(model.predict(data, "raw"), before)


def test_borrowed_arrays_outlive_the_caller(model):
    data = linlearn.Dataset(np.ones((5, 6), dtype=np.float32), np.zeros(5, dtype=np.float32))
    # The caller kept no reference; the dataset's own keeps the memory valid.
    np.testing.assert_allclose(model.predict(data, "raw"), model.predict(np.ones((5, 6)), "raw"))
    data.close()
    with pytest.raises(ValueError, match="closed"):
        data.handle


def test_shape_mismatches_are_refused():
    with pytest.raises(ValueError, match="2-dimensional"):
        linlearn.Dataset(np.ones(3))
    with pytest.raises(ValueError, match="y has shape"):
        linlearn.Dataset(np.ones((3, 2)), y=[1, 0])


def test_from_file_reads_csv_and_libsvm():
    from conftest import DATA
    csv = linlearn.Dataset.from_file(f"{DATA}/heart_scale.train.csv")
    svm = linlearn.Dataset.from_file(f"{DATA}/heart_scale.train.libsvm", "feature_dim=13")
    assert csv.shape == svm.shape == (162, 13)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_wrong_argument_raises_and_nothing_more():
    """A call refused before __init__ runs leaves an object whose __del__ must not fail."""
    import gc
    X = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="weights"):
        linlearn.Dataset(X, np.zeros(3), weights=np.ones(3))
    gc.collect()
