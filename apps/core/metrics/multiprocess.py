"""Reading the multiprocess directory: every process's values, summed exactly.

prometheus-client's multiprocess mode (its docs' "Multiprocess Mode") writes one
file per process and kind of metric: `counter_<pid>.db`, `histogram_<pid>.db`,
`gauge_<mode>_<pid>.db`, each an `MmapedDict` of `mmap_key` JSON keys and doubles.
`compaction.py` merges the files of processes that are gone into archives in the
same format (`counter_archive.db`, ...). Both hold `LOCK`: a scrape reads the
directory before a compaction or after it, never in between, so no value is read
twice or missed.

Totals are exact, not merely close: each sample's total is `math.fsum` of every
file's value, the correctly rounded sum, whichever files hold the values and in
whatever order they are listed. prometheus-client's own `MultiProcessCollector`
adds them up in directory order, and a float total that changes in its last bit
when files come and go (a histogram's `_sum` in seconds) may dip, which Prometheus
takes for a counter reset. Gauges are left to that collector's `merge()`: they
have no reset, and their modes (min, max, mostrecent, ...) are its rules.
"""

import json
import math
import os
import threading
from collections import defaultdict

from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector

# Held by the scrape (DirectoryCollector) and by compaction, in the serving process.
LOCK = threading.Lock()
SUFFIX = ".db"
GAUGE = "gauge"


def _reset_lock():
    global LOCK
    LOCK = threading.Lock()


# A child forked while a scrape thread held the lock would inherit it held, by a
# thread it does not have. No child takes it (workers write their own files and
# never read the directory), and this makes sure none ever could block on it.
# Hence `multiprocess.LOCK` everywhere, never a copy imported by name.
os.register_at_fork(after_in_child=_reset_lock)


def split_name(name: str) -> tuple[str, str]:
    """`counter_12.db` -> (`counter`, `12`), `gauge_max_archive.db` ->
    (`gauge_max`, `archive`): the kind of metric, and whose file it is."""
    prefix, _, owner = name.removesuffix(SUFFIX).rpartition("_")
    return prefix, owner


def metric_files(path: str) -> list[str]:
    """The directory's metric files (temporary files of a compaction are not)."""
    return sorted(name for name in os.listdir(path) if name.endswith(SUFFIX))


def read_values(filename: str):
    """(key, value, timestamp) of each entry: prometheus-client's own reader."""
    if not has_values(filename):
        return
    for key, value, timestamp, _position in MmapedDict.read_all_values_from_file(
        filename
    ):
        yield key, value, timestamp


def has_values(filename: str) -> bool:
    """False for a file its process is creating: `MmapedDict` opens it empty, then
    sizes it. prometheus-client's reader fails on it (struct.error), which a scrape
    racing a new worker's first value would otherwise answer with a 500."""
    return os.path.getsize(filename) > 0


class DirectoryCollector:
    """Every process's values in `path`, alive or gone, read under `LOCK`."""

    def __init__(self, path: str):
        self.path = path

    def collect(self):
        with LOCK:
            names = metric_files(self.path)
            files = [os.path.join(self.path, name) for name in names]
            gauges = [f for f, n in zip(files, names, strict=True) if _is_gauge(n)]
            summed = [f for f, n in zip(files, names, strict=True) if not _is_gauge(n)]
            gauges = [f for f in gauges if has_values(f)]
            return [*MultiProcessCollector.merge(gauges), *summed_metrics(summed)]


def _is_gauge(name: str) -> bool:
    return name.startswith(GAUGE + "_")


def summed_metrics(files) -> list[Metric]:
    """Counters, histograms and summaries, each sample the exact sum over `files`."""
    families = {}
    for filename in files:
        kind = os.path.basename(filename).split("_", 1)[0]
        for key, value, _timestamp in read_values(filename):
            metric_name, name, labels, help_text = json.loads(key)
            if metric_name not in families:
                families[metric_name] = (
                    Metric(metric_name, help_text, kind),
                    defaultdict(list),
                )
            parts = families[metric_name][1]
            parts[(name, tuple(sorted(labels.items())))].append(value)
    return [_with_samples(metric, parts) for metric, parts in families.values()]


def _with_samples(metric: Metric, parts) -> Metric:
    totals = {sample: math.fsum(values) for sample, values in parts.items()}
    if metric.type == "histogram":
        totals = _cumulative(metric.name, totals)
    for (name, labels), value in totals.items():
        metric.add_sample(name, dict(labels), value)
    return metric


def _cumulative(name: str, totals: dict) -> dict:
    """Histogram files count each bucket alone; the exposition wants them summed
    up to each bound, and a `_count` (what prometheus-client's collector does)."""
    samples, buckets = {}, defaultdict(dict)
    for (sample, labels), value in totals.items():
        bound = dict(labels).get("le")
        if bound is None:
            samples[(sample, labels)] = value
            continue
        others = tuple(label for label in labels if label[0] != "le")
        buckets[others][float(bound)] = (labels, value)
    for others, by_bound in buckets.items():
        running = 0.0  # bucket counts are whole numbers: exact in any order
        for bound in sorted(by_bound):
            labels, value = by_bound[bound]
            running += value
            samples[(f"{name}_bucket", labels)] = running
        samples[(f"{name}_count", others)] = running
    return samples
