"""`pip install ./bindings/python` works offline, as the README shows, and the installed
package (not the source tree) imports and trains."""
import os
import subprocess
import sys
import venv

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_pip_install_into_a_venv_then_train(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "--no-index",
                    os.path.join(REPO, "bindings", "python")], check=True, cwd=tmp_path)
    script = (
        "import linlearn, numpy as np\n"
        "assert linlearn.__file__.startswith(%r), linlearn.__file__\n"
        "rng = np.random.default_rng(0); X = rng.normal(size=(300, 4)); y = (X[:, 0] > 0).astype(int)\n"
        "clf = linlearn.LinearLearnerClassifier(epochs=3, num_models=2).fit(X, y)\n"
        "assert clf.score(X, y) > 0.9\n"
        "print('ok', linlearn.library_version)\n" % str(env_dir))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed copy, not the tree
    out = subprocess.run([python, "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.stdout.startswith("ok ")
