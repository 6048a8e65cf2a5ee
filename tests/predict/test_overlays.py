import numpy as np
from PIL import Image
from sklearn.frozen import FrozenEstimator

from skmoe.predict._overlays import MIN_SIDE, _colour, _experts_of, draw_overlay


def test_boxes_masks_and_the_decision_are_drawn_at_a_legible_size(tmp_path):
    path = tmp_path / "gray.png"
    Image.fromarray(np.full((40, 40), 128, np.uint8)).save(path)
    boxes = np.array([[1, 10, 20, 30, 38, 0.9],   # drawn
                      [0, 2, 22, 8, 30, 0.1]])    # too weak to draw
    maps = np.zeros((3, 10, 10), np.float32)
    maps[2, :5, :5] = 0.9                          # class 2 in the top-left quarter
    maps[0] = 1                                    # the defect-free class: never drawn
    image = np.asarray(draw_overlay(path, "scratch (score 0.90)",
                                    boxes=[("det", boxes, np.array(["ok", "scratch", "hole"]))],
                                    masks=[("seg", maps, 0)]))
    scale = MIN_SIDE / 40
    assert image.shape == (MIN_SIDE, MIN_SIDE, 3)
    assert tuple(image[round(30 * scale), round(10 * scale)]) == _colour(1)  # box edge
    assert tuple(image[round(26 * scale), round(2 * scale)]) == (128, 128, 128)  # weak box
    tinted = image[round(15 * scale), round(8 * scale)]
    assert tinted[0] != tinted[1]                  # mask colour over the gray
    assert tuple(image[round(30 * scale), round(38 * scale)]) == (128, 128, 128)
    assert image[2, 2].max() < 60                  # the dark band of the decision


class Detector:
    def predict_boxes(self, X): ...


class Vote:
    def __init__(self, experts):
        self.named_experts_ = experts


def test_the_evidence_comes_from_experts_inside_votes_and_frozen_wrappers():
    detector = Detector()
    found = dict(_experts_of(Vote({"yolo": FrozenEstimator(detector), "other": object()})))
    assert found["yolo"] is detector and set(found) == {"model", "yolo", "other"}
