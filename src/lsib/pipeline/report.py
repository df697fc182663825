"""Result tables as HTML pages, so ``snakemake --report`` shows them as tables.

Snakemake 9's report shows images, HTML and PDF inline and offers any other file (a CSV) only
for download; :func:`table_html` turns a tidy table into one small self-contained page. Here,
not in :mod:`lsib.plots`, so that a report-table job imports pandas only (no matplotlib, seaborn, torch).
"""

from __future__ import annotations

import html

import pandas as pd

#: Significant digits of floating-point cells (information values are read to 4–5 decimals).
TABLE_DIGITS = 6

_STYLE = (
    "body{font-family:sans-serif;font-size:13px}"
    "table{border-collapse:collapse}"
    "th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
    "th{background:#f4f4f4}"
)


def table_html(table: pd.DataFrame, title: str) -> str:
    """``table`` as an HTML page titled ``title``: every row, floats to :data:`TABLE_DIGITS`
    significant digits, empty cells blank."""
    body = table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.{TABLE_DIGITS}g}", border=0)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h3>{html.escape(title)}</h3>{body}</body></html>\n"
    )
