"""The prediction file: one row per image, CSV or JSON lines, appended batch by batch.

Rows are flushed after every batch, so a run stopped at any point keeps every finished batch;
``resume`` reads the paths already written (dropping a last line cut off mid-write) and the
run goes on with the others.
"""

import csv
import io
import json
import os
from pathlib import Path

# Scores are written with this many decimals (probabilities: more would be noise).
DECIMALS = 6


def columns_of(classes, expert_names, *, overlays):
    """The columns of a prediction file, in order."""
    names = [str(c) for c in classes]
    columns = ["path", "decision", *(f"score:{c}" for c in names)]
    columns += [f"{expert}:{c}" for expert in expert_names for c in names]
    return columns + (["overlay"] if overlays else []) + ["error"]


class PredictionFile:
    """Rows appended to ``path`` as CSV (``json_lines=False``) or JSON lines.

    An existing file is refused unless ``resume``: then it must have been written with the
    same columns, and :attr:`done` holds the paths it has rows for.
    """

    def __init__(self, path, columns, *, json_lines, resume):
        self.path = Path(path)
        self.columns = columns
        self.json_lines = json_lines
        self.done = set()
        if self.path.exists() and not resume:
            raise FileExistsError(f"{str(self.path)!r} exists: pass --resume to go on with it "
                                  "(images with a row are skipped), or choose another output.")
        if self.path.exists():
            self.done = self._written_paths()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not json_lines:
                self._append(self._csv_lines([dict(zip(columns, columns))]))

    def write(self, rows):
        """Append the rows (dicts by column) and flush them to disk."""
        if self.json_lines:
            text = "".join(json.dumps({c: row.get(c) for c in self.columns}) + "\n"
                           for row in rows)
        else:
            text = self._csv_lines([{c: _csv_value(row.get(c)) for c in self.columns}
                                    for row in rows])
        self._append(text)
        self.done.update(row["path"] for row in rows)

    def _append(self, text):
        with open(self.path, "a", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def _csv_lines(self, rows):
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n").writerows(rows)
        return buffer.getvalue()

    def _written_paths(self):
        text = self.path.read_text()
        if text and not text.endswith("\n"):  # a line cut off when the run stopped
            text = text[:text.rfind("\n") + 1]
            self.path.write_text(text)
        if self.json_lines:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            if rows and list(rows[0]) != self.columns:
                self._refuse()
            return {row["path"] for row in rows}
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:  # stopped before the header was written
            self._append(self._csv_lines([dict(zip(self.columns, self.columns))]))
            return set()
        if header != self.columns:
            self._refuse()
        return {row[0] for row in reader if row}

    def _refuse(self):
        raise ValueError(f"{str(self.path)!r} was written by another model or with other "
                         "options (its columns differ): resume it with the same ones, or "
                         "choose another output.")


def score_value(value):
    """A score as written: rounded to ``DECIMALS``."""
    return round(float(value), DECIMALS)


def _csv_value(value):
    if isinstance(value, list):  # the classes of a multi-label decision
        return ";".join(map(str, value))
    return "" if value is None else value
