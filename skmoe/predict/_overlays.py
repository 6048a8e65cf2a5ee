"""Overlays: each image drawn with the model's decision and its experts' evidence.

The evidence is what an inspector checks a decision against: the boxes of the detectors
(class and confidence) and the defect masks of the segmenters, each colour a class.
"""

from pathlib import Path

import numpy as np

# Overlays are drawn at least this many pixels on their short side (defect images are
# often small: 200 px for NEU-DET), so that labels stay legible.
MIN_SIDE = 480
# Boxes below this confidence are not drawn (detectors keep weak boxes for the vote's
# threshold search: hundreds per image); ultralytics draws from 0.25 too.
MIN_BOX_CONFIDENCE = 0.25
# A pixel is drawn as defect where the segmenter's probability reaches this.
MIN_PIXEL_PROBABILITY = 0.5
_MASK_ALPHA = 110


class OverlayPainter:
    """Draws the overlays of batches into ``folder``; one PNG per image.

    The detectors and segmenters among the model's experts (the model itself, a vote's
    experts, a two-stage pipeline's gate and classifier, frozen or not) give the evidence.
    """

    def __init__(self, model, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        experts = dict(_experts_of(model))
        self.detectors = {n: e for n, e in experts.items() if hasattr(e, "predict_boxes")}
        self.segmenters = {n: e for n, e in experts.items() if hasattr(e, "predict_masks")}
        self._used = set()

    def __call__(self, paths, decisions):
        """Draw each image of ``paths``; their overlay files, in order."""
        boxes = {name: d.predict_boxes(paths) for name, d in self.detectors.items()}
        masks = {name: s.predict_masks(paths) for name, s in self.segmenters.items()}
        targets = []
        for i, path in enumerate(paths):
            top = int(np.argmax(decisions.proba[i]))
            image = draw_overlay(
                path, _decision_text(decisions.labels[i], decisions.proba[i][top]),
                boxes=[(name, boxes[name][i], d.classes_) for name, d in self.detectors.items()],
                masks=[(name, masks[name][i], s.background_index_)
                       for name, s in self.segmenters.items()])
            target = self._target(path)
            image.save(target)
            targets.append(target)
        return targets

    def _target(self, path):
        """``<stem>.png``, numbered where two images of this run share a stem."""
        stem, n = Path(path).stem, 1
        name = f"{stem}.png"
        while name in self._used:
            n += 1
            name = f"{stem}-{n}.png"
        self._used.add(name)
        return self.folder / name


def draw_overlay(path, text, *, boxes=(), masks=()):
    """The image of ``path`` with ``text`` on a band at its top, the boxes and the masks.

    Parameters
    ----------
    path : str or Path
    text : str
    boxes : sequence of (name, ndarray of shape (m, 6), classes)
        Per detector, its (class index, x1, y1, x2, y2, confidence) boxes in the image's
        pixels; boxes below ``MIN_BOX_CONFIDENCE`` are left out.
    masks : sequence of (name, ndarray of shape (n_classes, h, w), background_index)
        Per segmenter, its pixel probabilities per class (any resolution: resized to the
        image); the map of the defect-free class (``background_index``, or None) is not
        drawn.

    Returns
    -------
    image : PIL.Image.Image
    """
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(path) as opened:
        image = opened.convert("RGB")
    scale = max(1.0, MIN_SIDE / min(image.size))
    size = (round(image.width * scale), round(image.height * scale))
    image = image.resize(size, Image.Resampling.BILINEAR).convert("RGBA")
    font = ImageFont.load_default(size=max(12, size[1] // 32))
    for _, maps, background_index in masks:
        image = Image.alpha_composite(image, _mask_layer(maps, background_index, size))
    draw = ImageDraw.Draw(image)
    for name, found, classes in boxes:
        for c, x1, y1, x2, y2, confidence in found[found[:, 5] >= MIN_BOX_CONFIDENCE]:
            colour = _colour(int(c))
            corners = [x1 * scale, y1 * scale, x2 * scale, y2 * scale]
            draw.rectangle(corners, outline=colour, width=max(2, size[1] // 240))
            label = f"{name}: {classes[int(c)]} {confidence:.2f}"
            left, top = corners[0], max(0, corners[1] - font.size - 4)
            draw.rectangle(draw.textbbox((left, top), label, font=font), fill=colour)
            draw.text((left, top), label, fill="black", font=font)
    band = font.size + 10
    draw.rectangle([0, 0, size[0], band], fill=(0, 0, 0, 200))
    draw.text((6, 4), text, fill="white", font=font)
    return image.convert("RGB")


def _mask_layer(maps, background_index, size):
    """A transparent layer with each defect class's pixels in its colour."""
    from PIL import Image

    layer = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    for c, probability in enumerate(maps):
        if c == background_index:
            continue
        resized = Image.fromarray(np.uint8(np.clip(probability, 0, 1) * 255)).resize(
            size, Image.Resampling.BILINEAR)
        where = np.asarray(resized) >= MIN_PIXEL_PROBABILITY * 255
        layer[where] = (*_colour(c), _MASK_ALPHA)
    return Image.fromarray(layer, "RGBA")


def _colour(index):
    """Tableau's ten colours, by class index."""
    from matplotlib import colormaps

    red, green, blue, _ = colormaps["tab10"](index % 10)
    return round(red * 255), round(green * 255), round(blue * 255)


def _decision_text(label, score):
    shown = ", ".join(map(str, label)) if isinstance(label, list) else str(label)
    return f"{shown or 'no class'}  (score {score:.2f})"


def _experts_of(model, name="model"):
    """(name, estimator) of the model and the experts inside it, frozen ones unwrapped."""
    while type(model).__name__ == "FrozenEstimator":
        model = model.estimator
    yield name, model
    for expert_name, expert in getattr(model, "named_experts_", {}).items():
        yield from _experts_of(expert, expert_name)
    for stage in ("gate_", "classifier_"):
        if getattr(model, stage, None) is not None:
            yield from _experts_of(getattr(model, stage), f"{name}.{stage[:-1]}")
