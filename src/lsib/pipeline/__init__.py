"""Pipeline support (torch-free, imported by the Snakefile): the run plan and its config checks, the GPU count,
code fingerprints for code-aware reruns, job logs, result tables as report pages, and the configuration reference
(run as ``python -m lsib.pipeline.schema_doc``, so not re-exported here).
"""

from lsib.pipeline.joblog import job_log
from lsib.pipeline.plan import ConfigError, Run, all_runs, check, grid
from lsib.pipeline.provenance import code_fingerprint
from lsib.pipeline.report import table_html

__all__ = ["ConfigError", "Run", "all_runs", "check", "code_fingerprint", "grid", "job_log", "table_html"]
