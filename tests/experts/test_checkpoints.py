"""Local weights into timm backbones: by name or by order, the new head kept, clear refusals."""

import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

from skmoe.experts._checkpoints import load_checkpoint, read_state_dict  # noqa: E402


def _backbone(num_classes=4, in_chans=3, seed=0):
    torch.manual_seed(seed)
    return timm.create_model("resnet10t", num_classes=num_classes, in_chans=in_chans)


@pytest.fixture
def saved(tmp_path):
    """An ImageNet-shaped resnet10t's weights (1000 classes), and its path."""
    source = _backbone(num_classes=1000, seed=1)
    path = tmp_path / "weights.pth"
    torch.save(source.state_dict(), path)
    return source.state_dict(), path


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a if not k.startswith("fc."))


def test_by_name_the_new_head_is_kept(saved):
    weights, path = saved
    backbone = _backbone()
    head = backbone.fc.weight.clone()
    load_checkpoint(backbone, path, 3)
    assert _same(backbone.state_dict(), weights)
    assert torch.equal(backbone.fc.weight, head)  # 4 classes, as built


def test_another_naming_is_matched_by_order(saved, tmp_path):
    weights, _ = saved
    renamed = {f"layer{i:03d}": tensor for i, (name, tensor) in enumerate(weights.items())
               if not name.endswith("num_batches_tracked")}
    path = tmp_path / "renamed.pth"
    torch.save({"model_state_dict": renamed}, path)  # a common container, unwrapped
    backbone = _backbone()
    load_checkpoint(backbone, path, 3)
    assert _same(backbone.state_dict(), weights)


def test_a_grayscale_stem_is_adapted(saved):
    weights, path = saved
    backbone = _backbone(in_chans=1)
    load_checkpoint(backbone, path, 1)
    stem = next(iter(backbone.state_dict()))
    torch.testing.assert_close(backbone.state_dict()[stem],
                               weights[stem].sum(dim=1, keepdim=True))


def test_containers_are_unwrapped(saved, tmp_path):
    weights, _ = saved
    path = tmp_path / "wrapped.pth"
    torch.save({"state_dict": weights, "epoch": 3}, path)
    assert read_state_dict(path).keys() == weights.keys()


def test_bad_files_are_refused_by_name(saved, tmp_path):
    _, path = saved
    with pytest.raises(FileNotFoundError, match="is not a file"):
        read_state_dict(tmp_path / "absent.pth")
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="garbage.pth' could not be read"):
        read_state_dict(garbage)
    other = timm.create_model("resnet18", num_classes=4)
    with pytest.raises(ValueError, match="does not fit this backbone"):
        load_checkpoint(other, path, 3)
