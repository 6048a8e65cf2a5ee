"""
Deploying an ensemble: train, save, load, predict
=================================================

An ensemble goes to the inspection line as a model folder: :func:`~skmoe.save_model` writes
it as JSON, arrays and network weights, :func:`~skmoe.load_model` rebuilds it with no code run
from the folder, and :func:`~skmoe.predict.predict_images` (the work of ``skmoe predict``)
decides new image files, one row per image, batch by batch. Here a vote of two texture experts
is trained on synthetic steel, saved, loaded on "another machine" and applied to a folder of
new images, one of them a corrupt file.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator

from skmoe import MultiExpertVotingClassifier, load_model, save_model
from skmoe.datasets import make_steel_defects
from skmoe.experts import TextureExpert
from skmoe.model_selection import train_val_test_split
from skmoe.predict import find_images, predict_images

# %%
# Train: two experts on the training images, the vote tuned on the validation images
# ----------------------------------------------------------------------------------
X, y = make_steel_defects(900, image_size=64, random_state=0)
X_train, X_val, X_new, y_train, y_val, y_new = train_val_test_split(
    X, y, stratify=y, val_size=0.2, test_size=0.1, random_state=0)
experts = [
    ("texture", FrozenEstimator(TextureExpert().fit(X_train, y_train))),
    ("texture_forest", FrozenEstimator(TextureExpert(
        RandomForestClassifier(200, random_state=0), bins=16).fit(X_train, y_train))),
]
vote = MultiExpertVotingClassifier(experts).fit(X_val, y_val)

# %%
# Save the fitted vote as a model folder, and load it as another machine would
# ----------------------------------------------------------------------------
work = Path(tempfile.mkdtemp())
folder = save_model(vote, work / "steel-vote")
print(sorted(path.name for path in folder.iterdir()))
deployed = load_model(folder)

# %%
# New images arrive as files (here the test images, and one file cut off mid-write)
# ---------------------------------------------------------------------------------
incoming = work / "incoming"
incoming.mkdir()
for i, image in enumerate(X_new):
    Image.fromarray(image).save(incoming / f"part-{i:03d}.png")
(incoming / "part-999.png").write_bytes((incoming / "part-000.png").read_bytes()[:60])
images = find_images([incoming])
print(f"{len(images)} images to decide")

# %%
# Decide them: one row per image, written batch by batch
# ------------------------------------------------------
done = predict_images(deployed, images, work / "predictions.csv", batch_size=32,
                      overlays=work / "overlays", progress=False)
print(f"{done.n_decided} decided, {done.n_errors} unreadable")
rows = pd.read_csv(work / "predictions.csv")
rows[["path", "decision", "score:scratches", "texture:scratches", "texture_forest:scratches",
      "error"]].assign(path=rows.path.map(lambda p: Path(p).name)).tail(4)

# %%
# The loaded vote decides what the trained one did, and the rows agree with it
decided = rows[rows.error.isna()]
same = (decided.decision.to_numpy() == vote.predict(X_new)).mean()
print(f"rows equal to the trained vote's predict: {same:.0%}; "
      f"accuracy on the new images: {(decided.decision.to_numpy() == y_new).mean():.3f}")

# %%
# One overlay per image: the decision on a band at the top (detectors would add their boxes,
# segmenters their masks)
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, path in zip(axes, decided.overlay.iloc[:3]):
    ax.imshow(np.asarray(Image.open(path)))
    ax.set_title(Path(path).name, fontsize=9)
    ax.axis("off")
fig.tight_layout()

# %%
# An interrupted run loses nothing: with ``resume`` the images already in the file are
# skipped (``skmoe predict ... --resume`` on the command line)
again = predict_images(deployed, images, work / "predictions.csv", batch_size=32,
                       overlays=work / "overlays", resume=True, progress=False)
print(f"{again.n_skipped} already decided, {again.n_decided} decided now")
