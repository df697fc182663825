"""Result tables as HTML pages for the report: every row and column, numbers and blanks as written."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import pandas as pd

from lsib.pipeline.report import TABLE_DIGITS, table_html


class Cells(HTMLParser):
    """The text of every ``th``/``td`` cell, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_row_and_column_reaches_the_page_with_its_value() -> None:
    table = pd.DataFrame(
        {"objective": ["ce", "ls"], "coef": [0.0, 0.1], "i_xz": [2.302585092994, math.nan], "seed": [0, 1]}
    )
    page = table_html(table, "results/e1/<x>/information.csv")
    parser = Cells()
    parser.feed(page)
    assert parser.rows[0] == ["objective", "coef", "i_xz", "seed"]
    assert parser.rows[1] == ["ce", "0", f"{2.302585092994:.{TABLE_DIGITS}g}", "0"]
    assert parser.rows[2] == ["ls", "0.1", "", "1"]  # an empty cell stays empty
    assert len(parser.rows) == 1 + len(table)
    assert "<title>results/e1/&lt;x&gt;/information.csv</title>" in page  # the title is escaped
