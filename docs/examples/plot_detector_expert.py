"""
A detector as an image-level expert
===================================

A detector learns from boxes and finds defects a few pixels wide. skmoe turns it into an
image-level expert: the probability of each defect class is the highest confidence of its
boxes in the image, and the defect-free class gets one minus the highest defect score. Here a
YOLOv8n (ultralytics, the ``yolo`` extra) trains from scratch for a few epochs on synthetic
steel images with boxes, on a CPU: it learns little in that time, and the scores show it
honestly. :class:`~skmoe.experts.TorchvisionDetector` (Faster R-CNN, RetinaNet, FCOS) is used
the same way.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from skmoe.datasets import STEEL_CLASSES, make_steel_defects
from skmoe.experts import YOLODetector

X, y, boxes = make_steel_defects(304, image_size=64, class_weights=[1, 1, 1, 1, 1],
                                 return_boxes=True, random_state=0)
# Boxes are (class index, x1, y1, x2, y2) per image, class indices being columns of classes_.
detector = YOLODetector("yolov8n.yaml", image_size=64, batch_size=16, max_epochs=6,
                        validation_fraction=0, train_kwargs={"warmup_epochs": 0},
                        random_state=0)
detector.fit(X[:300], y[:300], boxes=boxes[:300])
print("classes_", detector.classes_, "defect-free column:",
      detector.classes_[detector.background_index_])

# %%
# Boxes found (red) and true (green) on four test images, and the image-level scores.
found = detector.predict_boxes(X[300:304])
proba = detector.predict_proba(X[300:304])
fig, axes = plt.subplots(2, 4, figsize=(11, 5), gridspec_kw={"height_ratios": [2, 1]})
for i, (image, detections) in enumerate(zip(X[300:304], found)):
    axes[0, i].imshow(image, cmap="gray")
    for _, x1, y1, x2, y2 in boxes[300 + i]:  # the true boxes, in green
        axes[0, i].add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="lime"))
    axes[0, i].set_title(f"label: {y[300 + i]}", fontsize=9)
    axes[0, i].axis("off")
    for class_index, x1, y1, x2, y2, score in detections[detections[:, 5] > 0.2]:
        axes[0, i].add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="red"))
        axes[0, i].text(x1, y1, f"{STEEL_CLASSES[int(class_index)]} {score:.2f}",
                        color="red", fontsize=7)
    axes[1, i].barh(np.arange(len(STEEL_CLASSES)), proba[i])
    axes[1, i].set_yticks(np.arange(len(STEEL_CLASSES)), STEEL_CLASSES, fontsize=7)
    axes[1, i].set_xlim(0, 1)
fig.tight_layout()
plt.show()
