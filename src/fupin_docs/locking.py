"""One cross-process lock helper, one timeout policy, one message.

The archive, the search index and the ledger each guard their writes with a
lock file beside the data (filelock: works on Linux and on a clerk's Windows
PC). A writer that cannot get the lock in time gets `Busy`, in Chinese.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import Busy

# Long enough to outlast another program's whole batch (a pack of 200 items, a
# full index rebuild), short enough that a stuck program is noticed.
LOCK_TIMEOUT_SECONDS = 120


@contextlib.contextmanager
def held(lock_file: str | Path, what: str, timeout: float = LOCK_TIMEOUT_SECONDS):
    """Hold LOCK_FILE for the block. WHAT names the guarded thing in the message
    ("档案", "检索索引", "问题台账")."""
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_file), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise Busy(f"{what}正被另一个程序使用（等待 {timeout:.0f} 秒仍未释放），请稍后重试；"
                   f"若确认没有其他 fupin 程序在运行，可删除锁文件 {lock_file}") from None
    try:
        yield
    finally:
        lock.release()
