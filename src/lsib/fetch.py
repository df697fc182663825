"""Obtain a raw data file, from a local copy or a download, checked against its md5 (SPEC §7).

Every failure raises :class:`DataSourceError` naming the file and the config key that set
it, and leaves nothing half-written at the destination.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path


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
) -> Path:
    """Copy ``local_path`` (when given) or download ``url`` to ``dest``, then verify ``md5``.

    The file is written to a temporary name beside ``dest`` and renamed only once its
    checksum matches, so an interrupted or wrong download never leaves ``dest`` behind.

    Raises:
        DataSourceError: no source configured, the local file is missing, the download
            fails, or the checksum differs; the message names the file and ``config_key``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
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
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
