"""Obtain a raw data file, from a local copy or a download, checked against its md5 (SPEC §7).

Every failure raises :class:`DataSourceError` naming the file and the config key that set
it, and leaves nothing half-written at the destination. An optional ``check`` validates the
content (e.g. the shape of a count table) before the file takes its final name, so a file
whose md5 was set to match but whose content is not what the code assumes never lands.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path

from lsib.atomic import atomic_path


class DataSourceError(RuntimeError):
    """A configured data file is missing, unreachable or fails its checksum."""


def md5sum(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex md5 digest of a file."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def obtain(
    dest: str | os.PathLike[str],
    *,
    config_key: str,
    md5: str | None,
    local_path: str | None = None,
    url: str | None = None,
    check: Callable[[Path, str], None] | None = None,
) -> Path:
    """Copy ``local_path`` (when given) or download ``url`` to ``dest``, then verify ``md5``.

    The file is written to a temporary name beside ``dest`` (:func:`lsib.atomic.atomic_path`)
    and renamed only once its checksum matches and ``check(tmp, origin)`` returns, so an
    interrupted or wrong download never leaves ``dest`` behind. ``check`` raises ``ValueError``
    describing what is wrong with the content; ``origin`` is the name to use for the file.

    Raises:
        DataSourceError: no source configured, the local file is missing, the download
            fails, the checksum differs or ``check`` rejects the content; the message names
            the file and ``config_key``.
    """
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        if local_path:
            src = Path(local_path).expanduser()
            if not src.is_file():
                raise DataSourceError(
                    f"{src} does not exist (set by config key '{config_key}.local_path'); "
                    f"point it at the file or set it to null to download {url or 'the file'}"
                )
            shutil.copyfile(src, tmp)
            origin = str(src)
        elif url:
            try:
                with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
            except OSError as err:
                raise DataSourceError(
                    f"could not download {url} (config key '{config_key}.url'): {err}; "
                    f"offline, set '{config_key}.local_path' to a local copy"
                ) from err
            origin = url
        else:
            raise DataSourceError(f"config key '{config_key}' names neither a local_path nor a url")
        if md5 is not None and (got := md5sum(tmp)) != md5:
            raise DataSourceError(
                f"{origin} has md5 {got}, expected {md5} (config key '{config_key}.md5'): "
                "the file is corrupt or not the one the config names"
            )
        if check is not None:
            try:
                check(tmp, origin)
            except ValueError as err:
                raise DataSourceError(f"{err} (config key '{config_key}')") from err
    return dest
