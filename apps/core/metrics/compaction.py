"""The files of processes that are gone, merged into one archive per kind of metric.

prometheus-client never removes a dead process's counters or histograms:
`mark_process_dead` removes `live*` gauges only (client_python issues #115, #275).
Every gunicorn worker recycled after max_requests and every Celery child replaced
would add files that every scrape reads again, without bound. `compact()` merges
them into `<kind>_archive.db` with prometheus-client's own `MmapedDict`, same keys,
and deletes them: the directory holds one file per live process and kind, plus the
archives.

Why it is safe, where the maintainers declined to do it in the library
(client_python pull request #518: a new process may take the dead one's pid
meanwhile, and nothing stops two merges at once): it runs only in the serving
process and in the thread that forks the writers (gunicorn's master loop, from
child_exit; Celery's event loop, from its timer), so no writer is born during a
merge; it holds `multiprocess.LOCK`, as the scrape does; and a process is gone when
no such pid runs in this container, whose directory is its own (entrypoint.sh).

Exact: an archive keeps the exact sum of everything it took in, as the correctly
rounded total plus, in `<kind>_archive-1.db` and on when needed, what rounding left
out (Shewchuk's non-overlapping partials, the algorithm behind `math.fsum`).
Counts never need it; float seconds summed by a histogram may. With the collector's
fsum (`multiprocess.py`), a total reads the same, bit for bit, before and after a
merge. Gauges keep their multiprocess_mode: min and max the extreme, mostrecent the
latest value with its time, sum the exact sum; a dead process's `live*` gauges are
deleted, as `mark_process_dead` does; mode `all` is left alone, as its series are
per pid.

Each kind is merged on its own: new archives written to temporary files (no `.db`,
so never read), renamed over the old ones, then the merged files deleted. A kind
that fails is logged and keeps its files as they were, for the next compaction.
"""

import contextlib
import logging
import math
import os
import tempfile
from collections import defaultdict

from prometheus_client.mmap_dict import MmapedDict

from apps.core.metrics import multiprocess

logger = logging.getLogger(__name__)
ARCHIVE = "archive"
SUMMED = frozenset({"counter", "histogram", "summary", "gauge_sum"})
EXTREMES = {"gauge_min": min, "gauge_max": max}
LATEST = "gauge_mostrecent"
PER_PROCESS = "gauge_all"  # its series carry each process's pid: nothing to merge


def compact(path: str) -> int:
    """Merge the files of processes that are gone into the archives; how many."""
    merged = 0
    with multiprocess.LOCK:
        for prefix, files in _files_of_the_gone(path).items():
            try:
                merged += _merge(path, prefix, files)
            except Exception:  # a failed merge must never stop the serving process
                logger.exception("metrics: %s files not merged, kept", prefix)
    return merged


def _files_of_the_gone(path: str) -> dict[str, list[str]]:
    gone = defaultdict(list)
    for name in multiprocess.metric_files(path):
        prefix, owner = multiprocess.split_name(name)
        if owner.isdigit() and prefix != PER_PROCESS and not _running(int(owner)):
            gone[prefix].append(os.path.join(path, name))
    return gone


def _running(pid: int) -> bool:
    if pid == os.getpid() or pid <= 0:  # kill(0, ...) would mean the process group
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def _merge(path: str, prefix: str, files: list[str]) -> int:
    if prefix.startswith("gauge_live"):
        for filename in files:
            os.unlink(filename)
        return len(files)
    archives = _archives(path, prefix)
    entries = defaultdict(list)
    for filename in [*archives, *files]:
        for key, value, timestamp in multiprocess.read_values(filename):
            entries[key].append((value, timestamp))
    written = []
    try:
        for column in _columns(prefix, entries):
            written.append(_write(path, column))
    except BaseException:
        for temporary in written:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    kept = {_archive_name(path, prefix, index) for index in range(len(written))}
    for index, temporary in enumerate(written):
        os.replace(temporary, _archive_name(path, prefix, index))
    for filename in [*(a for a in archives if a not in kept), *files]:
        os.unlink(filename)
    return len(files)


def _columns(prefix: str, entries: dict) -> list[dict]:
    """The archives' contents: archive i maps each key to its (value, timestamp)."""
    if prefix in SUMMED:
        sums = {key: exact_sum([v for v, _ in e]) for key, e in entries.items()}
        depth = max(map(len, sums.values()), default=0)
        return [
            {key: (parts[i], 0.0) for key, parts in sums.items() if len(parts) > i}
            for i in range(depth)
        ]
    if prefix in EXTREMES:
        pick = EXTREMES[prefix]
        return [{key: pick(values, key=_value) for key, values in entries.items()}]
    if prefix == LATEST:
        return [{key: max(values, key=_time) for key, values in entries.items()}]
    raise ValueError(f"unknown kind of metric file: {prefix}")


def _value(entry):
    return entry[0]


def _time(entry):
    return entry[1]


def exact_sum(values: list[float]) -> list[float]:
    """Doubles whose exact sum is that of `values`: their correctly rounded sum
    first, then the remainder, largest first (usually nothing)."""
    total = math.fsum(values)
    rest = [part for part in _partials([*values, -total]) if part]
    return [total, *reversed(rest)]


def _partials(values):
    """Shewchuk's exact summation (the recipe in the `math.fsum` docs' references):
    non-overlapping doubles, smallest first, summing exactly to `values`."""
    partials = []
    for x in values:
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            high = x + y
            low = y - (high - x)
            if low:
                partials[i] = low
                i += 1
            x = high
        partials[i:] = [x]
    return partials


def _write(path: str, column: dict) -> str:
    descriptor, temporary = tempfile.mkstemp(dir=path, prefix=".merge-", suffix=".tmp")
    os.close(descriptor)
    try:
        archive = MmapedDict(temporary)
        try:
            for key, (value, timestamp) in column.items():
                archive.write_value(key, value, timestamp)
        finally:
            archive.close()
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def _archive_name(path: str, prefix: str, index: int) -> str:
    owner = ARCHIVE if index == 0 else f"{ARCHIVE}-{index}"
    return os.path.join(path, f"{prefix}_{owner}{multiprocess.SUFFIX}")


def _archives(path: str, prefix: str) -> list[str]:
    """This kind's archives, in order: the total, then the remainders."""
    found = {}
    for name in multiprocess.metric_files(path):
        kind, owner = multiprocess.split_name(name)
        index = owner.removeprefix(ARCHIVE).removeprefix("-") or "0"
        if kind == prefix and owner.startswith(ARCHIVE) and index.isdigit():
            found[int(index)] = os.path.join(path, name)
    return [found[index] for index in sorted(found)]
