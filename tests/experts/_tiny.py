"""Each image-expert type at its smallest: one epoch, tiny images, seeded."""

from skmoe.experts import ImageClassifier, TorchvisionDetector, YOLODetector


def save_images(images, folder):
    """Write uint8 image arrays as PNG files ``0.png, 1.png, ...`` in ``folder``; their paths."""
    from PIL import Image

    paths = [str(folder / f"{i}.png") for i in range(len(images))]
    for image, path in zip(images, paths):
        Image.fromarray(image).save(path)
    return paths


def tiny_experts(image_size):
    """{kind: factory of an unfitted expert} for ``image_size``-pixel images."""
    return {
        "classifier": lambda: ImageClassifier("resnet10t", image_size=32, max_epochs=1,
                                              validation_fraction=0, random_state=0),
        "yolo": lambda: YOLODetector(image_size=image_size, batch_size=8, max_epochs=1,
                                     validation_fraction=0, train_kwargs={"warmup_epochs": 0},
                                     random_state=0),
        "torchvision": lambda: TorchvisionDetector("fasterrcnn_mobilenet_v3_large_320_fpn",
                                                   min_size=image_size, max_size=2 * image_size,
                                                   batch_size=4, max_epochs=1, random_state=0),
    }
