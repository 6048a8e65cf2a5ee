"""The images an input names: files, folders, glob patterns and text files listing paths."""

import glob
from pathlib import Path

# The suffixes a folder's or a glob's files need to count as images (Pillow reads them all).
IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


def find_images(inputs):
    """The image paths that ``inputs`` name, in order, each once.

    As ``yolo predict`` takes its sources: an image file; a folder (its images, not its
    subfolders'); a glob pattern (``"lot-7/**/*.png"`` reaches into subfolders); a ``.txt``
    file listing one image path per line (relative paths from the list's folder). A file
    named directly is kept whatever it holds, so that a corrupt one gets its error row.

    Parameters
    ----------
    inputs : sequence of str or path-like

    Returns
    -------
    paths : list of str

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("b.png", "a.jpg", "notes.md"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [Path(p).name for p in find_images([folder])]
    ['a.jpg', 'b.png']
    """
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    found = []
    for item in inputs:
        found.extend(_images_of(str(item)))
    if not found:
        raise FileNotFoundError(f"No image in {', '.join(map(str, inputs)) or 'the inputs'} "
                                f"(image suffixes: {' '.join(IMAGE_SUFFIXES)}).")
    return list(dict.fromkeys(found))


def _images_of(item):
    path = Path(item)
    if path.is_dir():
        return [str(p) for p in sorted(path.iterdir()) if _is_image(p)]
    if path.is_file() and path.suffix.lower() == ".txt":
        lines = [line.strip() for line in path.read_text().splitlines()]
        listed = [path.parent / line for line in lines if line and not line.startswith("#")]
        missing = [str(p) for p in listed if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"{len(missing)} images listed in {item!r} do not exist, "
                                    f"e.g. {missing[0]!r}.")
        return [str(p) for p in listed]
    if path.is_file():
        return [item]
    if glob.has_magic(item):
        matches = sorted(p for p in glob.glob(item, recursive=True) if _is_image(Path(p)))
        if not matches:
            raise FileNotFoundError(f"No image matches {item!r}.")
        return matches
    raise FileNotFoundError(f"{item!r} is not a file, a folder or a glob pattern.")


def _is_image(path):
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
