"""The README's example outputs are the real commands' outputs (bench/readme_examples.py --check)."""

import subprocess
import sys

import pytest

from .helpers import ROOT


@pytest.mark.slow
def test_readme_examples_are_current():
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "readme_examples.py"), "--check"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr
