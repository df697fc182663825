"""Job logs keep everything: log lines, Python's stderr, and what C code or a subprocess writes to fds 1 and 2."""

import os
import subprocess
import sys

import pytest

from lsib.pipeline.joblog import job_log


def test_descriptor_and_subprocess_output_lands_in_the_log(tmp_path):
    path = tmp_path / "logs" / "job.log"
    with job_log(path) as log:
        log("started")
        os.write(2, b"written to fd 2\n")  # as C code would, bypassing sys.stderr
        os.write(1, b"written to fd 1\n")
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('from a subprocess\\n')"], check=True)
        print("python stderr", file=sys.stderr)
    text = path.read_text()
    for line in ("started", "written to fd 2", "written to fd 1", "from a subprocess", "python stderr"):
        assert line in text
    assert text.rstrip().endswith("done")


def test_a_failure_is_logged_with_its_traceback_and_the_descriptors_restored(tmp_path):
    before = os.fstat(2)
    with pytest.raises(ValueError), job_log(tmp_path / "job.log"):
        raise ValueError("bad input")
    assert "ValueError: bad input" in (tmp_path / "job.log").read_text()
    assert os.fstat(2).st_ino == before.st_ino
