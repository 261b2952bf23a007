"""Bad input through the `linlearn` command: each case exits 1 or 2 (never a crash), prints
one line "linlearn: error: ..." naming the file, line and column (or the key, the value and
what is allowed), and leaves no model (train) or output file (predict -o) behind.

tests/unit/test_readers.cpp checks the readers' messages in depth; here each kind of bad
input is checked end to end, as a user meets it.
"""
import json
import os
import struct
import zlib

import pytest

from conftest import assert_clean_failure, data, leftovers, run

BINARY = ["--hp", "predictor_type=binary_classifier", "--hp", "epochs=1", "--hp", "num_models=1"]
LONG = 20000  # features in the very long line


def train_on(tmp_path, name, text, *extra, mode="w"):
    path = tmp_path / name
    if mode == "w":
        path.write_text(text, newline="")
    else:
        path.write_bytes(text)
    out = tmp_path / "out"
    return path, out, run("train", "-q", "--train", path, *BINARY, *extra, "-o", out)


# (file name, content, extra arguments, words the message must hold; {p} is the file's path)
CSV_ERRORS = [
    ("columns.csv", "1,2,3\n0,4,5\n1,6\n", [], ["{p}:3:4:", "expected 3 columns (as in the first row), found 2"]),
    ("columns_more.csv", "1,2,3\n0,4,5,6,7\n", [], ["{p}:2:7:", "expected 3 columns", "found 5"]),
    ("text.csv", "1,2,3\n0,4,five\n", [], ["{p}:2:5:", "expected a number, found 'five'"]),
    ("header.csv", "label,a,b\n1,2,3\n", [], ["{p}:1:1:", "expected a number, found 'label'"]),
    ("empty.csv", "", [], ["{p}:1:1:", "no data rows"]),
    ("blank_only.csv", "\n  \n\n", [], ["{p}:4:1:", "no data rows"]),
    ("header_only.csv", "y,a,b\n", ["--data-options", "header=true"], ["{p}:2:1:", "no data rows"]),
    ("delimiters.csv", "1,2,3\n,,\n", [], ["{p}:2:1:", "expected a number, found an empty field"]),
    ("crlf_columns.csv", "1,2,3\r\n0,4\r\n", [], ["{p}:2:4:", "expected 3 columns", "found 2"]),
    ("bom_text.csv", "\ufeff1,x,3\n", [], ["{p}:1:3:", "found 'x'"]),
    ("long_line.csv", "1" + ",0.5" * LONG + ",x\n", [], ["{p}:1:%d:" % (1 + 4 * LONG + 2), "found 'x'"]),
    ("nan_feature.csv", "1,nan,3\n", [], ["{p}:1:3:", "NaN and infinity are not accepted"]),
    ("inf_label.csv", "inf,1,2\n", [], ["{p}:1:1:", "found 'inf'", "must be finite"]),
    ("overflow.csv", "1,1e39,2\n", [], ["{p}:1:3:", "beyond the float32 range"]),
    ("quote.csv", '1,"2,3\n', [], ["{p}:1:3:", "expected a closing '\"'"]),
    ("tabs.csv", "1\t2\t3\n", [], ["{p}:1:1:", "found '1\t2\t3'"]),
    ("label_only.csv", "1\n0\n", [], ["{p}:1:1:", "expected at least 2 columns"]),
]


@pytest.mark.parametrize("name, text, extra, words", CSV_ERRORS, ids=[c[0] for c in CSV_ERRORS])
def test_csv_errors_name_file_line_and_column(tmp_path, name, text, extra, words):
    path, out, p = train_on(tmp_path, name, text, *extra)
    assert_clean_failure(p, *[w.format(p=path) for w in words], out_dir=out)
    assert "\r" not in p.stderr


LIBSVM_ERRORS = [
    ("index0.libsvm", "1 1:1\n1 0:2\n", [], ["{p}:2:3:", "feature index 0: expected indices from 1"]),
    ("unsorted.libsvm", "1 2:1 1:2\n", [], ["{p}:1:7:", "expected increasing feature indices, found 1 after 2"]),
    ("duplicate.libsvm", "1 2:1 2:2\n", [], ["{p}:1:7:", "duplicate feature index 2"]),
    ("beyond.libsvm", "1 1:1\n0 2:1 4:1\n", ["--data-options", "feature_dim=3"],
     ["{p}:2:7:", "feature index 4 exceeds feature_dim 3"]),
    ("no_label.libsvm", "1 1:1\n1:2 3:4\n", [], ["{p}:2:1:", "expected a label before the features, found '1:2'"]),
    ("text_label.libsvm", "yes 1:2\n", [], ["{p}:1:1:", "expected a label (a number), found 'yes'"]),
    ("pair.libsvm", "1 1:2 3\n", [], ["{p}:1:7:", "expected 'index:value', found '3'"]),
    ("pair_value.libsvm", "1 3:abc\n", [], ["{p}:1:5:", "expected a number after '3:', found 'abc'"]),
    ("pair_index.libsvm", "1 x:2\n", [], ["{p}:1:3:", "expected a feature index (a positive integer)"]),
    ("nan_value.libsvm", "1 3:nan\n", [], ["{p}:1:5:", "NaN and infinity are not accepted"]),
    ("qid.libsvm", "1 qid:3 1:2\n", [], ["{p}:1:3:", "qid: tokens"]),
    ("empty.libsvm", "# nothing\n", [], ["{p}:2:1:", "no data rows"]),
]


@pytest.mark.parametrize("name, text, extra, words", LIBSVM_ERRORS, ids=[c[0] for c in LIBSVM_ERRORS])
def test_libsvm_errors_name_file_line_and_column(tmp_path, name, text, extra, words):
    path, out, p = train_on(tmp_path, name, text, *extra)
    assert_clean_failure(p, *[w.format(p=path) for w in words], out_dir=out)


# Data the readers accept: each trains, with the right number of features.
GOOD_DATA = [
    ("blank_lines.csv", "\n1,2,3\n\n  \n0,4,5\n1,6,7\n\n", [], 2),
    ("crlf.csv", "1,2,3\r\n0,4,5\r\n1,6,7\r\n", [], 2),
    ("bom.csv", "\ufeff1,2,3\n0,4,5\n1,6,7\n", [], 2),
    ("bom_header.csv", "\ufeffy,a,b\n1,2,3\n0,4,5\n", ["--data-options", "header=true"], 2),
    ("no_final_newline.csv", "1,2,3\n0,4,5", [], 2),
    ("long_line.csv", "".join(f"{i % 2}" + ",0.25" * LONG + "\n" for i in range(3)), [], LONG),
    ("labels.libsvm", "1 1:0.5 3:2 # comment\n\n0 2:1\n", [], 3),
]


@pytest.mark.parametrize("name, text, extra, features", GOOD_DATA, ids=[c[0] for c in GOOD_DATA])
def test_accepted_variants_train(tmp_path, name, text, extra, features):
    _, out, p = train_on(tmp_path, name, text, *extra)
    assert p.returncode == 0, p.stderr
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["hyperparameters"]["feature_dim"] == str(features)
    assert (out / "model.llmodel").is_file()


LABEL_ERRORS = [
    ("binary_2.csv", "0,1,2\n2,3,4\n1,5,6\n", BINARY, ["train data, row 2", "label 2", "labels must be 0 or 1"]),
    ("binary_pm1.libsvm", "+1 1:1\n-1 1:2\n", BINARY, ["train data, row 2", "label -1", "map -1/+1 labels to 0/1"]),
    ("multi_negative.csv", "0,1,2\n1,2,3\n-1,3,4\n", ["num_classes=3"], ["row 3", "label -1", "integers 0..2"]),
    ("multi_fraction.csv", "0,1,2\n1.5,2,3\n", ["num_classes=3"], ["row 2", "label 1.5", "integers 0..2"]),
    ("multi_too_big.csv", "0,1,2\n3,2,3\n", ["num_classes=3"], ["row 2", "label 3", "num_classes=3"]),
]


@pytest.mark.parametrize("name, text, hps, words", LABEL_ERRORS, ids=[c[0] for c in LABEL_ERRORS])
def test_label_errors_name_row_value_and_allowed(tmp_path, name, text, hps, words):
    path = tmp_path / name
    path.write_text(text)
    if hps[0] == "num_classes=3":
        hps = ["--hp", "predictor_type=multiclass_classifier", "--hp", "num_classes=3", "--hp", "epochs=1"]
    p = run("train", "-q", "--train", path, *hps, "-o", tmp_path / "out")
    assert_clean_failure(p, *words, out_dir=tmp_path / "out")


def test_validation_and_test_files_with_other_feature_counts(tmp_path):
    for flag, role in (("--validation", "validation"), ("--test", "test")):
        out = tmp_path / role
        p = run("train", "-q", "--train", data("breast_cancer.train.csv"), flag, data("heart_scale.test.csv"),
                *BINARY, "-o", out)
        assert_clean_failure(p, f"{role} data has 13 features, expected 30 (as the train data)", out_dir=out)


def test_a_mini_batch_larger_than_the_data_is_clamped(tmp_path):
    out = tmp_path / "out"
    run("train", "-q", "--train", data("breast_cancer.train.csv"), *BINARY, "--hp", "mini_batch_size=100000",
        "-o", out, check=True)
    start = json.loads((out / "events.jsonl").read_text().splitlines()[0])
    assert start["event"] == "run_start"
    assert start["params"]["mini_batch_size"] == "341"  # the training rows
    assert (out / "model.llmodel").is_file()


HP_ERRORS = [
    (["--hp", "lerning_rate=0.1"], ["unknown hyperparameter 'lerning_rate'", "did you mean 'learning_rate'"]),
    (["--hp", "epochs=ten"], ["'epochs'", "'ten'", "allowed: an integer in [1, "]),
    (["--hp", "epochs=2.5"], ["'epochs'", "'2.5'", "an integer"]),
    (["--hp", "beta_1=1.5"], ["'beta_1'", "'1.5'", "[0, 1)"]),
    (["--hp", "use_bias=yes"], ["'use_bias'", "'yes'", "'true' or 'false'"]),
    (["--hp", "optimizer=adagrad"], ["'optimizer'", "'adagrad'", "'sgd', 'adam', 'rmsprop'"]),
    (["--hp", "loss=squared_loss"], ["'loss'", "'squared_loss'", "does not fit predictor_type 'binary_classifier'"]),
    (["--hp", "unbias_data=true", "--hp", "use_bias=false"], ["'unbias_data'=true", "'use_bias'=false", "contradict"]),
    (["--hp", "epochs"], ["--hp 'epochs': expected key=value"]),
    (["--hp", "=3"], ["expected key=value"]),
]


@pytest.mark.parametrize("hps, words", HP_ERRORS, ids=[" ".join(c[0][1::2]) for c in HP_ERRORS])
def test_hyperparameter_errors_name_key_value_and_allowed(tmp_path, hps, words):
    out = tmp_path / "out"
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), "--hp", "predictor_type=binary_classifier",
            *hps, "-o", out)
    assert_clean_failure(p, *words, out_dir=out)


def test_contradictions_by_predictor_type(tmp_path):
    cases = [
        (["predictor_type=regressor", "loss=logistic"], ["'logistic'", "does not fit predictor_type 'regressor'"]),
        (["predictor_type=multiclass_classifier"], ["'num_classes' is required"]),
        (["predictor_type=regressor", "unbias_label=true", "use_bias=false"], ["'unbias_label'=true"]),
        ([], ["'predictor_type' is required"]),
    ]
    for i, (hps, words) in enumerate(cases):
        out = tmp_path / f"out{i}"
        args = [a for hp in hps for a in ("--hp", hp)]
        p = run("train", "-q", "--train", data("diabetes.train.csv"), *args, "-o", out)
        assert_clean_failure(p, *words, out_dir=out)


@pytest.mark.parametrize("text, words", [
    ("[1, 2]", ["hyperparameters JSON: expected an object"]),
    ('{"epochs": ', ["hyperparameters JSON", "parse error"]),
    ('{"epochs": null}', ["key 'epochs' has a null value", "expected a string, number or boolean"]),
    ('{"epochs": "0"}', ["'epochs'", "'0'", "allowed: an integer in [1, "]),
    ('{"predictor_type": "binary_classifier", "epoch": 3}', ["did you mean 'epochs'"]),
], ids=["array", "truncated", "null", "range", "unknown"])
def test_hyperparameter_file_errors(tmp_path, text, words):
    hp = tmp_path / "hp.json"
    hp.write_text(text)
    out = tmp_path / "out"
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), "--hyperparameters", hp, "-o", out)
    assert_clean_failure(p, *words, out_dir=out)


@pytest.mark.parametrize("options, words", [
    ("header=maybe", ["bad value 'maybe' for 'header'", "allowed true or false"]),
    ("colour=red", ["unknown key 'colour'", "allowed keys"]),
    ("feature_dim=3", ["'feature_dim' applies to libsvm files only"]),
    ("label_column=40", ["label_column 40 is beyond the first row's 31 columns"]),
])
def test_data_option_errors(tmp_path, options, words):
    out = tmp_path / "out"
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), *BINARY, "--data-options", options, "-o", out)
    assert_clean_failure(p, *words, out_dir=out)


def test_missing_and_unreadable_files(tmp_path):
    out = tmp_path / "out"
    p = run("train", "-q", "--train", tmp_path / "nope.csv", *BINARY, "-o", out)
    assert_clean_failure(p, "--train: File does not exist", "nope.csv", out_dir=out)
    # Unreadable: chmod 000 where that stops a read; as root (which reads anyway) a folder.
    locked = tmp_path / "locked.csv"
    locked.write_text("1,2,3\n")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root: permission bits do not apply
        p = run("train", "-q", "--train", tmp_path, *BINARY, "-o", out)
        assert_clean_failure(p, "--train: File is actually a directory", out_dir=out)
    else:
        p = run("train", "-q", "--train", locked, *BINARY, "-o", out)
        assert_clean_failure(p, f"cannot open '{locked}'", "Permission denied", out_dir=out)
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), *BINARY, "-o", locked)
    assert_clean_failure(p, "cannot create the output folder", str(locked))


# ---- Model files and predict ------------------------------------------------------------

def crafted(good, kind):
    """A damaged copy of the model file bytes `good` (format 1: magic, u32 version, u32
    header length, u64 payload length, header, weights, CRC-32)."""
    version, hlen, plen = struct.unpack_from("<IIQ", good, 8)
    body = bytearray(good[:-4])
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "corrupted":
        body = bytearray(good)
        body[-8] ^= 0x10  # a weight, under the checksum
        return bytes(body)
    if kind == "newer":
        struct.pack_into("<I", body, 8, version + 1)
    elif kind == "size_claims_more":
        struct.pack_into("<Q", body, 16, plen + 4096)
    elif kind == "header_claims_more":
        struct.pack_into("<I", body, 12, plen + 8)
    elif kind == "empty":
        return b""
    elif kind == "not_a_model":
        return b"1,2,3\n4,5,6\n"
    return bytes(body) + struct.pack("<I", zlib.crc32(bytes(body)))


MODEL_ERRORS = [
    ("truncated", ["truncated or inconsistent lengths"]),
    ("corrupted", ["checksum mismatch: the file is corrupted"]),
    ("newer", ["format version 2 is newer than this library reads (1)", "upgrade linlearn"]),
    ("size_claims_more", ["truncated or inconsistent lengths"]),
    ("header_claims_more", ["inconsistent lengths"]),
    ("empty", ["not a linlearn model (wrong magic number)"]),
    ("not_a_model", ["not a linlearn model (wrong magic number)"]),
]


@pytest.mark.parametrize("kind, words", MODEL_ERRORS, ids=[c[0] for c in MODEL_ERRORS])
def test_bad_model_files_in_predict_and_evaluate(tmp_path, binary_model, kind, words):
    bad = tmp_path / f"{kind}.llmodel"
    bad.write_bytes(crafted(binary_model.read_bytes(), kind))
    output = tmp_path / "predictions.csv"
    p = run("predict", "-m", bad, "-i", data("breast_cancer.test.csv"), "-o", output)
    assert_clean_failure(p, "ll_model_load", f"model file '{bad}'", *words, output=str(output))
    p = run("evaluate", "-m", bad, "-i", data("breast_cancer.test.csv"))
    assert_clean_failure(p, *words)
    assert p.stdout == ""


def test_the_crafting_itself_is_sound(tmp_path, binary_model):
    # Rewritten without damage, the bytes are the library's own and load.
    good = binary_model.read_bytes()
    version, hlen, plen = struct.unpack_from("<IIQ", good, 8)
    assert zlib.crc32(good[:-4]) == struct.unpack("<I", good[-4:])[0]
    assert plen + 28 == len(good)


def test_predict_on_data_of_another_width(tmp_path, binary_model):
    output = tmp_path / "p.csv"
    p = run("predict", "-m", binary_model, "-i", data("heart_scale.test.csv"), "-o", output)
    assert_clean_failure(p, "the data has 14 features but the model takes 30", output=str(output))
    p = run("evaluate", "-m", binary_model, "-i", data("heart_scale.test.csv"))
    assert_clean_failure(p, "the data has 13 features but the model takes 30")


def test_a_failed_predict_keeps_the_previous_output(tmp_path, binary_model):
    output = tmp_path / "p.csv"
    output.write_text("previous\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("0.1,0.2\n0.3,x\n")
    p = run("predict", "-m", binary_model, "-i", bad, "-o", output)
    assert_clean_failure(p, f"{bad}:2:5:", "found 'x'")
    assert output.read_text() == "previous\n"
    assert leftovers(tmp_path) == []
    # and a good predict replaces it whole
    run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), "-o", output, check=True)
    lines = output.read_text().splitlines()
    assert lines[0] == "score,predicted_label" and len(lines) == 1 + 114


def test_a_failed_rerun_leaves_the_previous_run_intact(tmp_path):
    out = tmp_path / "out"
    run("train", "-q", "--train", data("breast_cancer.train.csv"), *BINARY, "-o", out, check=True)
    before = {n: (out / n).read_bytes() for n in sorted(os.listdir(out))}
    assert set(before) == {"model.llmodel", "metrics.json", "events.jsonl", "epochs.csv"}
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n0,x,5\n")
    p = run("train", "-q", "--train", bad, *BINARY, "-o", out)
    assert_clean_failure(p, f"{bad}:2:3:")
    after = {n: (out / n).read_bytes() for n in sorted(os.listdir(out))}
    assert after == before


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    run("train", "-q", "--train", data("digits.train.csv"), "--hp", "predictor_type=multiclass_classifier",
        "--hp", "num_classes=10", "--hp", "epochs=1", "--hp", "num_models=1", "-o", out, check=True)
    return out / "model.llmodel"


def with_first_label(tmp_path, label):
    rows = open(data("digits.test.csv")).read().splitlines()[:3]
    rows[1] = f"{label}," + rows[1].split(",", 1)[1]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


# "100000000" crashed evaluate (SIGSEGV): the softmax loss read the score of class <label>
# before the labels were checked (found here, fixed during this work).
@pytest.mark.parametrize("label", ["10", "-1", "2.5", "100000000"])
def test_evaluate_refuses_labels_outside_the_classes(tmp_path, digits_model, label):
    p = run("evaluate", "-m", digits_model, "-i", with_first_label(tmp_path, label))
    assert_clean_failure(p, "ll_model_evaluate: evaluate: row 2 has label", "takes labels 0..9")
