import pytest

torch = pytest.importorskip("torch")

from skmoe.experts._inference import (  # noqa: E402
    batches_on_device,
    ready_for_inference,
    stream_of_its_own,
)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _batches(n_batches, pinned=False, shape=(4, 3, 32, 32)):
    generator = torch.Generator().manual_seed(0)
    batches = [(torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator),
                f"target {b}") for b in range(n_batches)]
    return [(images.pin_memory() if pinned else images, t) for images, t in batches]


@pytest.mark.parametrize("n_batches", [0, 1, 5])
def test_every_batch_in_order_with_its_target(n_batches):
    batches = _batches(n_batches)
    moved = list(batches_on_device(iter(batches), "cpu"))
    assert [t for _, t in moved] == [t for _, t in batches]
    for (images, _), (expected, _) in zip(moved, batches):
        assert images.device.type == "cpu"
        assert torch.equal(images, expected)


@needs_cuda
@pytest.mark.parametrize("pinned", [True, False])
def test_cuda_batches_are_complete_when_the_current_stream_uses_them(pinned):
    # Work queued on the current stream right after each hand-over must see the whole copy,
    # and memory freed batch after batch must not be overwritten while still in use: the
    # per-batch sums, computed on the GPU without synchronising, equal the host's. Batches of
    # 6 MB: a copy takes long enough that using it unfinished would show.
    batches = _batches(20, pinned=pinned, shape=(8, 3, 512, 512))
    # In integers: float sums on the GPU and on the CPU may round differently.
    sums = [images.long().square().sum()
            for images, _ in batches_on_device(batches, "cuda")]
    expected = [images.long().square().sum() for images, _ in batches]
    assert torch.equal(torch.stack(sums).cpu(), torch.stack(expected))


def test_stream_of_its_own_changes_nothing_on_a_cpu():
    with stream_of_its_own("cpu"):
        assert torch.ones(3).sum() == 3


@needs_cuda
def test_stream_of_its_own_sees_the_work_queued_before_it():
    default = torch.cuda.current_stream()
    x = torch.zeros(4096, 4096, dtype=torch.int64, device="cuda")
    x += 1  # queued on the default stream; the new stream must wait for it
    with stream_of_its_own("cuda"):
        assert torch.cuda.current_stream() != default
        total = x.sum().cpu()
    assert torch.cuda.current_stream() == default
    assert total == 4096 * 4096


def _network():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                               torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.ReLU()))


def test_ready_for_inference_puts_every_module_in_eval_mode():
    network = _network()
    network[2].train()  # a submodule left training, as well as the whole
    assert ready_for_inference(network, "cpu") is network
    assert not any(module.training for module in network.modules())
    network.eval()
    network[2][0].train()  # only a submodule training
    ready_for_inference(network, "cpu")
    assert not any(module.training for module in network.modules())


def test_ready_network_is_not_walked_again(monkeypatch):
    """Module.to and Module.eval visit every submodule even when nothing changes: 1-11 ms a
    prediction for timm's backbones."""
    network = ready_for_inference(_network(), "cpu")

    def refuse(*args, **kwargs):
        raise AssertionError("a ready network was moved or switched to eval mode again")

    monkeypatch.setattr(network, "to", refuse)
    monkeypatch.setattr(network, "eval", refuse)
    ready_for_inference(network, "cpu")


@needs_cuda
def test_ready_for_inference_moves_to_the_gpu_once(monkeypatch):
    network = ready_for_inference(_network(), "cuda")
    assert next(network.parameters()).device == torch.device("cuda", torch.cuda.current_device())
    monkeypatch.setattr(network, "to", lambda *args: pytest.fail("moved again"))
    ready_for_inference(network, "cuda")
