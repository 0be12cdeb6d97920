"""Unpack the data archives a lent GPU machine received (scripts/gpu/pack.sh) into the experiment's work dir.

``python3 scripts/gpu/unpack_data.py STORE WORK``: every ``STORE/data*.tar.xz`` (one data set each, or the
evaluations already scored) is extracted under ``WORK`` and then removed, so a later call on the same warm
machine does not unpack it again. Standard library only (the device has no xz-utils promise and none of our
dependencies); ``filter="data"`` refuses absolute paths, links out of ``WORK`` and device files.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path


def unpack(store: Path, work: Path) -> list[str]:
    """Extract each ``data*.tar.xz`` of ``store`` into ``work``; return the archive names, in order."""
    work.mkdir(parents=True, exist_ok=True)
    done = []
    for archive in sorted(store.glob("data*.tar.xz")):
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(work, filter="data")
        archive.unlink()
        done.append(archive.name)
    return done


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: unpack_data.py STORE WORK")
    for name in unpack(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"unpacked {name}")
