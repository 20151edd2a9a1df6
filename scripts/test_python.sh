#!/usr/bin/env bash
# Builds the Python package (python/, PyO3 + maturin) into a virtual environment and runs its tests.
#
#   scripts/test_python.sh [PYTEST ARGS...]     (default: -q python/tests)
#
# The environment lives in target/pyenv (created on first use, reused after; PYENV_DIR moves it).
# It gets maturin, pytest, fsspec and dask[distributed] from PyPI, then the package itself through
# its real install path, `pip install ./python` (the PEP 517 build with maturin; without build
# isolation, so the maturin installed here builds it and nothing else is fetched). Cargo builds
# the extension incrementally in python/target. Needs the Rust toolchain and python3 (3.9 or later;
# PYTHON picks the interpreter). Exits non-zero when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
venv=${PYENV_DIR:-$root/target/pyenv}

if [ ! -x "$venv/bin/python" ]; then
    echo "test_python: creating $venv"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # A Python without ensurepip (Debian's without python3-venv): an environment without pip,
        # given one by the interpreter's own pip.
        rm -rf "$venv"
        "$python" -m venv --without-pip "$venv"
        "$python" -m pip --python "$venv/bin/python" install --quiet pip
    fi
fi
# maturin runs as a command of the environment: its bin/ must be on PATH.
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
py="$venv/bin/python"

# The tools, once (a marker file records that they are there).
marker="$venv/.sigmalang-test-deps"
if [ ! -f "$marker" ]; then
    echo "test_python: installing maturin, pytest, fsspec, dask[distributed]"
    "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$py" -m pip install --quiet --disable-pip-version-check \
        "maturin>=1.5,<2" pytest fsspec "dask[distributed]"
    touch "$marker"
fi

echo "test_python: building and installing ./python"
start=$(date +%s)
"$py" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps ./python
echo "test_python: installed in $(( $(date +%s) - start )) s"

# Run from the repository root, against the installed package (not python/sigmalang, which has no
# compiled module): python/ is not on sys.path.
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-q python/tests)
set +e
"$py" -m pytest -p no:cacheprovider "${args[@]}"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    echo "test_python: no tests ran" >&2
    exit 1
fi
exit $rc
