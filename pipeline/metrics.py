"""Per-update metrics: one JSON object a line in ``metrics.jsonl``, and TensorBoard scalars.

The scalars are written with TensorFlow's own ``tf.summary.write`` and the scalars plugin's
metadata, so event files are made without the tensorboard package (only reading them needs it).

Every record has ``batch`` (self-play games so far) and ``time`` (seconds of training wall time,
summed over resumes); the other keys are the numbers of that moment (loss, kl, win_ratio, ...).
Non-finite numbers are written as null. On resume, records after the checkpoint are dropped so
the file describes one consistent history.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from net.atomic_file import atomic_write_bytes

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_metrics(path) -> list[dict]:
    """All complete records of a metrics file (a torn last line is skipped)."""
    records = []
    path = Path(path)
    if not path.exists():
        return records
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


class MetricsWriter:
    """Appends records to ``metrics.jsonl`` and, if ``tensorboard``, to an event file that is
    made at the first record (so a resumed run can cut the folder back before it exists)."""

    def __init__(self, run_dir, tensorboard: bool = True):
        self.path = Path(run_dir) / METRICS_FILE
        self._tensorboard_dir = Path(run_dir) / TENSORBOARD_DIR if tensorboard else None
        self._file = open(self.path, "a")
        self._summary = None

    def _event_writer(self):
        if self._summary is None:
            import tensorflow as tf
            from tensorflow.core.framework import summary_pb2
            self._tf = tf
            self._scalar_metadata = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
            ).SerializeToString()
            self._summary = tf.summary.create_file_writer(str(self._tensorboard_dir))
        return self._summary

    def truncate_after(self, batch: int) -> None:
        """Keep only the records up to ``batch`` (the file is rewritten atomically)."""
        self._file.close()
        kept = [r for r in read_metrics(self.path) if r.get("batch", 0) <= batch]
        atomic_write_bytes(self.path, "".join(json.dumps(r) + "\n" for r in kept).encode())
        self._file = open(self.path, "a")

    def write(self, batch: int, values: dict) -> None:
        record = {"batch": batch, **{k: _clean(v) for k, v in values.items()}}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self._tensorboard_dir is not None:
            with self._event_writer().as_default():
                for key, value in record.items():
                    if key != "batch" and isinstance(value, (int, float)):
                        self._tf.summary.write(key, self._tf.constant(value, self._tf.float32),
                                               step=batch, metadata=self._scalar_metadata)

    def flush(self) -> None:
        """Every record written so far is in the files."""
        if self._summary is not None:
            self._summary.flush()

    def close(self) -> None:
        self._file.close()
        if self._summary is not None:
            self._summary.flush()
            self._summary.close()
