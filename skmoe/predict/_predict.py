"""predict_images: a fitted model applied to image files, batch by batch, one row per image."""

import contextlib
import time

from sklearn.base import BaseEstimator
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from ._decisions import DecisionMaker
from ._records import PredictionFile, columns_of, score_value


def predict_images(model, images, output, *, json_lines=False, overlays=None, batch_size=64,
                   resume=False, progress=True):
    """Decide every image with ``model`` and write one row per image to ``output``.

    Images stream through in batches of ``batch_size``: memory stays flat in the number of
    images, and every finished batch is on disk (so ``resume`` loses nothing of a stopped
    run). An image that cannot be read or decided gets its ``error`` and the run goes on: a
    batch that fails is decided again image by image.

    Parameters
    ----------
    model : fitted classifier
        Typically a model folder's (:func:`skmoe.load_model`). A
        :class:`~skmoe.MultiExpertVotingClassifier` also gives each expert's scores, from
        the same run of each expert that decides.
    images : sequence of str
        Image paths (:func:`find_images` makes them from files, folders and globs).
    output : str or Path
        The prediction file: CSV, or JSON lines with ``json_lines``. Columns ``path``,
        ``decision`` (the class; multi-label: the classes, joined by ``;`` in CSV),
        ``score:<class>`` per class, ``<expert>:<class>`` per expert and class, ``overlay``
        (with ``overlays``) and ``error`` (empty when the image was decided).
    json_lines : bool, default=False
    overlays : str or Path, default=None
        A folder for each image drawn with its decision and the evidence: detectors' boxes
        (class and confidence), segmenters' defect masks. Costs each detector and segmenter
        one more pass over the image.
    batch_size : int, default=64
        Images decided at a time (each expert batches them again for its network).
    resume : bool, default=False
        Go on with an existing ``output``: images it has a row for are skipped. Without it an
        existing ``output`` is refused.
    progress : bool, default=True
        A progress bar with images per second.

    Returns
    -------
    summary : Bunch
        ``n_images``, ``n_skipped`` (already in ``output``), ``n_decided`` and ``n_errors``
        (this run: images decided, images with an error), ``seconds`` and
        ``images_per_second`` (this run, errors included), ``output``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: give at least 1.")
    maker = DecisionMaker(model)
    painter = None
    if overlays is not None:
        from ._overlays import OverlayPainter

        painter = OverlayPainter(model, overlays)
    records = PredictionFile(output, columns_of(maker.classes, maker.expert_names,
                                                overlays=painter is not None),
                             json_lines=json_lines, resume=resume)
    unique = list(dict.fromkeys(map(str, images)))
    todo = [path for path in unique if path not in records.done]
    n_images = len(unique)
    errors = 0
    start = time.perf_counter()
    with _deployed(model), tqdm(total=n_images, initial=n_images - len(todo), unit="img",
                                desc="skmoe predict", disable=not progress,
                                dynamic_ncols=True) as bar:
        for first in range(0, len(todo), batch_size):
            rows = _decide_batch(maker, painter, todo[first:first + batch_size])
            records.write(rows)
            errors += sum(bool(row["error"]) for row in rows)
            bar.update(len(rows))
            bar.set_postfix(errors=errors, refresh=False)
    seconds = time.perf_counter() - start
    return Bunch(n_images=n_images, n_skipped=n_images - len(todo),
                 n_decided=len(todo) - errors, n_errors=errors, seconds=seconds,
                 images_per_second=len(todo) / seconds if todo and seconds > 0 else 0.0,
                 output=records.path)


def _decide_batch(maker, painter, paths):
    """The rows of a batch. Where deciding the batch fails, its halves are decided apart,
    down to the images that fail alone and get their error: one bad file among n costs
    about 2 log2(n) smaller runs, not n."""
    try:
        return _rows(maker, painter, paths)
    except Exception as exc:  # noqa: BLE001 - recorded in the row; the run goes on
        if len(paths) == 1:  # on one line: a row is one line of the file
            return [{"path": paths[0], "error": " ".join(f"{type(exc).__name__}: {exc}".split())}]
    middle = len(paths) // 2
    return (_decide_batch(maker, painter, paths[:middle])
            + _decide_batch(maker, painter, paths[middle:]))


def _rows(maker, painter, paths):
    decisions = maker(paths)
    drawn = painter(paths, decisions) if painter is not None else [None] * len(paths)
    rows = []
    for i, path in enumerate(paths):
        row = {"path": path, "decision": decisions.labels[i], "error": ""}
        row.update({f"score:{c}": score_value(p)
                    for c, p in zip(maker.classes, decisions.proba[i])})
        for k, expert in enumerate(maker.expert_names):
            row.update({f"{expert}:{c}": score_value(p)
                        for c, p in zip(maker.classes, decisions.expert_proba[k, i])})
        if painter is not None:
            row["overlay"] = str(drawn[i])
        rows.append(row)
    return rows


@contextlib.contextmanager
def _deployed(model):
    """The model's experts with their feature caches and progress output off for a while: a
    cache folder named at training is of the training machine (and new images are decided
    once), and the run shows one progress bar, not one per expert and batch."""
    from ..experts import BaseImageExpert
    from ..experts._features import ImageFeatures

    changed = []
    for estimator in _estimators_in(model, set()):
        if isinstance(estimator, ImageFeatures):
            changed.append((estimator, "memory", estimator.memory))
        if isinstance(estimator, ImageFeatures | BaseImageExpert) and getattr(
                estimator, "verbose", 0):
            changed.append((estimator, "verbose", estimator.verbose))
    try:
        for estimator, name, _ in changed:
            setattr(estimator, name, None if name == "memory" else 0)
        yield model
    finally:
        for estimator, name, value in changed:
            setattr(estimator, name, value)


def _estimators_in(value, seen):
    """Every estimator reachable from ``value`` through attributes, lists and dicts."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, BaseEstimator):
        yield value
        children = vars(value).values()
    elif isinstance(value, list | tuple):
        children = value
    elif isinstance(value, dict):
        children = value.values()
    else:
        return
    for child in children:
        yield from _estimators_in(child, seen)
