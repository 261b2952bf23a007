"""Cancellation (SIGINT) and write errors through the `linlearn` command.

SIGINT during `linlearn train`: the run stops at the next mini-batch, run_end with status
"cancelled" is the last line of events.jsonl, the sinks are flushed (every file holds whole
lines), and a model is saved only if an epoch had ended (then it loads and evaluates).

Write errors, as root (which ignores permission bits):
  - RLIMIT_FSIZE lowered for the command (SIGXFSZ ignored): a write past it fails with EFBIG,
    as a full disk fails with ENOSPC;
  - a tiny tmpfs filled to the brim (ENOSPC), when this machine lets us mount one.
Each failure is reported on one line, exit 1, and the previous artifact is left whole with
no temporary file beside it.

Outputs that are not regular files: `train -o` where model.llmodel, metrics.json,
events.jsonl and epochs.csv are symbolic links (they stay links; the files they point to
get the content), a device node (written through: it stays a device) and FIFOs (read by a
thread of the test; they stay FIFOs); and `predict -o` to a device, a link and a FIFO.
"""
import csv
import json
import os
import resource
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

from conftest import CLI, assert_clean_failure, data, leftovers, run

TRAIN_HPS = ["--hp", "predictor_type=binary_classifier", "--hp", "epochs=200", "--hp", "early_stopping_patience=200",
             "--hp", "num_threads=1"]


@pytest.fixture(scope="module")
def slow_data(tmp_path_factory):
    """20,000 rows x 20 features: an epoch of 32 models on one thread takes about half a second."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20000, 20)).astype(np.float32)
    y = (x @ rng.normal(size=20) + rng.normal(size=20000) > 0).astype(int)
    path = tmp_path_factory.mktemp("slow") / "train.csv"
    np.savetxt(path, np.column_stack([y, x]), fmt=["%d"] + ["%.4f"] * 20, delimiter=",")
    return path


def start_and_interrupt(out, train, wait_for):
    """Starts `linlearn train`, sends SIGINT once events.jsonl holds an event of kind
    wait_for, and returns the finished process and the seconds it took to stop."""
    p = subprocess.Popen([CLI, "train", "-q", "--train", str(train), *TRAIN_HPS, "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = out / "events.jsonl"
    deadline = time.monotonic() + 60
    while f'"event":"{wait_for}"' not in (events.read_text() if events.exists() else ""):
        assert p.poll() is None, f"train ended before {wait_for}: {p.communicate()}"
        assert time.monotonic() < deadline, f"no {wait_for} event within 60 s"
        time.sleep(0.003)
    p.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = p.communicate(timeout=60)
    return p.returncode, stdout, stderr, time.monotonic() - sent


def whole_lines(path):
    raw = path.read_bytes()
    if not raw:
        return []
    assert raw.endswith(b"\n"), f"{path.name} ends in a partial line: {raw[-80:]!r}"
    return raw.decode().splitlines()


def read_events(out):
    return [json.loads(line) for line in whole_lines(out / "events.jsonl")]


def check_flushed_csv(out):
    rows = list(csv.reader(whole_lines(out / "epochs.csv")))  # the header comes with the first epoch
    assert all(len(r) == len(rows[0]) for r in rows)
    return rows


def test_sigint_after_an_epoch_saves_the_best_checkpoint(tmp_path, slow_data):
    out = tmp_path / "out"
    rc, stdout, stderr, stop_s = start_and_interrupt(out, slow_data, "epoch_end")
    assert rc == 130, stderr
    assert stderr == "linlearn: training cancelled; the model above is the best checkpoint before it\n"
    assert stop_s < 10, f"took {stop_s:.1f} s to stop"
    events = read_events(out)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_start" and kinds[-2:] == ["model_selected", "run_end"], kinds
    epochs = [e["epoch"] for e in events if e["event"] == "epoch_end"]
    assert 1 <= len(epochs) < 200
    end = events[-1]
    assert end["status"] == "cancelled"
    assert end["best_epoch"] in epochs and end["model_path"] == str(out / "model.llmodel")
    assert len(check_flushed_csv(out)) == 1 + len(epochs)  # header + an epoch per row: flushed
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["status"] == "cancelled"
    # The model is whole and usable.
    p = run("evaluate", "-m", out / "model.llmodel", "-i", slow_data, check=True)
    assert 0.5 < json.loads(p.stdout)["binary_classification_accuracy"] <= 1.0
    assert leftovers(out) == []
    assert str(out / "model.llmodel") in stdout


def test_sigint_before_the_first_epoch_ends_saves_nothing(tmp_path, slow_data):
    out = tmp_path / "out"
    rc, stdout, stderr, stop_s = start_and_interrupt(out, slow_data, "run_start")
    assert rc != 0
    assert stderr.count("\n") == 1 and "cancelled before the first epoch ended" in stderr, stderr
    assert stop_s < 10
    events = read_events(out)
    assert [e["event"] for e in events] == ["run_start", "run_end"]
    assert events[-1]["status"] == "cancelled"
    assert events[-1]["message"] == "cancelled before the first epoch ended (a cancel request)"
    assert events[-1]["model_path"] is None
    assert not (out / "model.llmodel").exists()
    assert json.loads((out / "metrics.json").read_text())["status"] == "cancelled"
    assert check_flushed_csv(out) == []  # no epoch, so not even a header
    assert leftovers(out) == []


def test_sigint_before_the_first_epoch_exits_130(tmp_path, slow_data):
    rc, _, stderr, _ = start_and_interrupt(tmp_path / "out", slow_data, "run_start")
    assert rc == 130, stderr


def limited(max_bytes):
    """preexec_fn: writes past max_bytes fail with EFBIG instead of killing the command."""
    def apply():
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored stays ignored across exec
    return apply


def snapshot(folder, names):
    return {n: (folder / n).read_bytes() for n in names}


def test_train_write_error_keeps_the_previous_model_and_metrics(tmp_path):
    out = tmp_path / "out"
    args = ["train", "-q", "--train", data("breast_cancer.train.csv"), "--hp", "predictor_type=binary_classifier",
            "--hp", "epochs=2", "--hp", "num_models=2", "-o", out]
    run(*args, "--hp", "seed=1", check=True)
    before = snapshot(out, ["model.llmodel", "metrics.json"])
    assert len(before["model.llmodel"]) > 1000
    p = run(*args, "--hp", "seed=2", preexec_fn=limited(1000))
    assert p.returncode == 1, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("linlearn: error: ll_trainer_fit: ")
    assert f"cannot write '{out / 'model.llmodel'}': File too large" in p.stderr
    assert snapshot(out, ["model.llmodel", "metrics.json"]) == before
    assert leftovers(out) == []
    run("evaluate", "-m", out / "model.llmodel", "-i", data("breast_cancer.test.csv"), check=True)


def test_predict_write_error_keeps_the_previous_output(tmp_path, binary_model):
    output = tmp_path / "predictions.csv"
    output.write_text("previous\n")
    p = run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), "-o", output,
            preexec_fn=limited(100))
    assert_clean_failure(p, f"cannot write '{output}'")
    assert output.read_text() == "previous\n"
    assert leftovers(tmp_path) == []
    missing = tmp_path / "no" / "such" / "folder.csv"
    p = run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), "-o", missing)
    assert_clean_failure(p, f"cannot write '{missing}'", "No such file or directory")


@pytest.fixture
def full_tmpfs(tmp_path):
    """A 256 KiB tmpfs; skipped where mounting is not permitted (the RLIMIT tests above
    cover the same paths with EFBIG)."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def fill(folder):
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError as e:
        assert e.errno == 28, e  # ENOSPC: full
    finally:
        os.close(fd)


def test_predict_on_a_full_disk_keeps_the_previous_output(full_tmpfs, binary_model):
    output = full_tmpfs / "predictions.csv"
    run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), "-o", output, check=True)
    before = output.read_bytes()
    fill(full_tmpfs)
    p = run("predict", "-m", binary_model, "-i", data("breast_cancer.validation.csv"), "-o", output)
    assert_clean_failure(p, f"cannot write '{output}'", "No space left on device")
    assert output.read_bytes() == before
    assert leftovers(full_tmpfs) == []


def test_a_write_error_leaves_only_whole_lines_in_events_jsonl(tmp_path):
    out = tmp_path / "out"
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), "--hp", "predictor_type=binary_classifier",
            "--hp", "epochs=2", "-o", out, preexec_fn=limited(1000))
    assert p.returncode == 1 and "File too large" in p.stderr
    raw = (out / "events.jsonl").read_bytes()
    assert raw == b"" or raw.endswith(b"\n"), f"a partial last line: ...{raw[-60:]!r}"


def read_fifo_in_background(path):
    """Starts a thread that reads the FIFO at path to its end; returns a function that
    waits for it (at most 60 s) and gives the bytes."""
    got = []
    t = threading.Thread(target=lambda: got.append(path.read_bytes()), daemon=True)
    t.start()

    def result():
        t.join(60)
        if t.is_alive():  # the writer never came: release the reader, then fail
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            t.join(5)
            raise AssertionError(f"nothing opened {path.name} for writing")
        return got[0]
    return result


def train_args(out, seed):
    return ["train", "-q", "--train", data("breast_cancer.train.csv"), "--hp", "predictor_type=binary_classifier",
            "--hp", "epochs=2", "--hp", "num_models=2", "--hp", f"seed={seed}", "-o", out]


ARTIFACTS = ["model.llmodel", "metrics.json", "events.jsonl", "epochs.csv"]


def test_train_outputs_through_symlinks_keep_the_links(tmp_path):
    out, store = tmp_path / "out", tmp_path / "store"
    out.mkdir()
    store.mkdir()
    for name in ARTIFACTS:  # relative links into another folder, dangling until the first run
        (out / name).symlink_to(os.path.join("..", "store", name))
    for seed in (1, 2):
        run(*train_args(out, seed), check=True)
        for name in ARTIFACTS:
            assert (out / name).is_symlink(), f"{name} was replaced by a regular file"
            assert (store / name).stat().st_size > 0, name
        assert json.loads((store / "metrics.json").read_text())["status"] == "completed"
        assert read_events(store)[-1]["event"] == "run_end"
        run("evaluate", "-m", out / "model.llmodel", "-i", data("breast_cancer.test.csv"), check=True)
    assert sorted(os.listdir(out)) == sorted(ARTIFACTS) and sorted(os.listdir(store)) == sorted(ARTIFACTS)


def test_train_outputs_into_fifos_and_a_device_write_through_them(tmp_path):
    import stat
    out = tmp_path / "out"
    out.mkdir()
    try:  # a /dev/null (char 1,3) of our own, so /dev is never at risk
        os.mknod(out / "model.llmodel", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        (out / "model.llmodel").symlink_to("/dev/null")  # a link: were it replaced, /dev/null would not be
    for name in ("metrics.json", "events.jsonl"):
        os.mkfifo(out / name)
    metrics, events = read_fifo_in_background(out / "metrics.json"), read_fifo_in_background(out / "events.jsonl")
    p = run(*train_args(out, 3))
    assert p.returncode == 0, p.stderr
    assert json.loads(metrics())["status"] == "completed"
    lines = events().decode()
    assert lines.endswith("\n") and json.loads(lines.splitlines()[-1])["event"] == "run_end"
    model = out / "model.llmodel"
    assert model.is_symlink() or stat.S_ISCHR(os.lstat(model).st_mode), "the device was replaced"
    assert all(stat.S_ISFIFO(os.lstat(out / n).st_mode) for n in ("metrics.json", "events.jsonl"))
    assert sorted(os.listdir(out)) == sorted(ARTIFACTS)


@pytest.mark.parametrize("kind", ["device", "symlink", "fifo"])
def test_predict_output_to_a_device_a_link_or_a_fifo_writes_through_it(tmp_path, binary_model, kind):
    import stat
    node = tmp_path / "predictions"
    reader = None
    if kind == "device":
        try:  # a /dev/null (char 1,3) of our own, so /dev is never at risk
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("mknod needs CAP_MKNOD (root)")
    elif kind == "symlink":
        (tmp_path / "real.csv").write_text("previous\n")
        node.symlink_to("real.csv")
    else:
        os.mkfifo(node)
        reader = read_fifo_in_background(node)
    p = run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), "-o", node)
    assert p.returncode == 0, p.stderr
    expected = run("predict", "-m", binary_model, "-i", data("breast_cancer.test.csv"), check=True).stdout
    if kind == "device":
        assert stat.S_ISCHR(os.lstat(node).st_mode), "the device node was replaced by a regular file"
    elif kind == "symlink":
        assert node.is_symlink(), "the link was replaced by a regular file"
        assert (tmp_path / "real.csv").read_text() == expected
    else:
        assert stat.S_ISFIFO(os.lstat(node).st_mode), "the FIFO was replaced by a regular file"
        assert reader().decode() == expected
    assert leftovers(tmp_path) == []
