"""Running a trained network for prediction, with the GPU kept busy: the network readied
without walking it again, batches copied while the previous one computes, each prediction on a
CUDA stream of its own.

Imported only by the experts' prediction loops, so ``import skmoe`` stays free of torch.
"""

import contextlib

import numpy as np
import torch


def predict_in_batches(network, batches, *, device, num_workers, output):
    """``output(network(images))`` for every batch of ``batches`` (an ``ImageBatches``), in
    order, as one float64 array; ``network`` is ready on ``device`` (``ready_for_inference``).

    The prediction loop of every image expert built on a torch network. On a GPU, batches
    come from pinned memory and are copied on a side stream while the previous one computes
    (``batches_on_device``), the work runs on a stream of its own (``stream_of_its_own``),
    and outputs stay on the device until the last batch: copying each batch's back would make
    the host wait for the GPU every time.
    """
    loader = torch.utils.data.DataLoader(batches, batch_size=None, num_workers=num_workers,
                                         pin_memory=torch.device(device).type == "cuda")
    outputs = []
    with torch.inference_mode(), stream_of_its_own(device):
        for images, _ in batches_on_device(loader, device):
            outputs.append(output(network(images)))
        return torch.cat(outputs).cpu().numpy().astype(np.float64)


def ready_for_inference(network, device):
    """``network`` on ``device`` in eval mode, touching it only where it is not yet.

    ``Module.to`` and ``Module.eval`` walk every submodule even when nothing changes: 1.2 ms
    for timm's resnet18 to 11 ms for its convnext_small on a CPU, paid by every prediction,
    which for small batches (an inspection line's) is a large share of its time.
    """
    target = torch.device(device)
    if target.type == "cuda" and target.index is None:
        target = torch.device("cuda", torch.cuda.current_device())
    first = next(network.parameters(), None)
    if first is None or first.device != target:
        network.to(target)
    if any(module.training for module in network.modules()):
        network.eval()
    return network


@contextlib.contextmanager
def stream_of_its_own(device):
    """Queue the CUDA work inside on a new stream (nothing changes on other devices).

    Experts predicting in threads (an ensemble's ``n_jobs`` under joblib's threading backend)
    each then run on their own stream, so that the GPU may run their kernels side by side;
    on the one default stream they would queue behind each other. The new stream first waits
    for the work already queued (e.g. the weights' copy to the device). A result read back to
    the host inside (``.cpu()``) waits for the stream.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        yield


def batches_on_device(batches, device):
    """Yield each ``(images, target)`` of ``batches`` with ``images`` moved to ``device``.

    On a CUDA device, the copy of batch k + 1 is queued on a side stream before batch k is
    handed out, so that it runs while the GPU computes on batch k: on one stream, a copy waits
    for the work queued before it. From pinned memory (a DataLoader with ``pin_memory=True``)
    the copy does not hold up the host either, which then prepares the next batch meanwhile.
    Elsewhere, a plain ``.to(device)``.

    A yielded tensor is ready for the current stream: that stream waits for its copy, and its
    memory is not reused before the stream has finished with it (``record_stream``).

    Parameters
    ----------
    batches : iterable of (Tensor, object)
        E.g. a DataLoader; only the first element of each item is moved.
    device : str or torch.device

    Yields
    ------
    (Tensor, object)
    """
    if torch.device(device).type != "cuda":
        for images, target in batches:
            yield images.to(device), target
        return
    copy_stream = torch.cuda.Stream(device)
    compute_stream = torch.cuda.current_stream(device)

    def start_copy(batch):
        images, target = batch
        with torch.cuda.stream(copy_stream):
            return images.to(device, non_blocking=True), target

    def hand_over(copied):
        images, target = copied
        # Queued now, the wait covers this batch's copy only: the next one is queued after it.
        compute_stream.wait_stream(copy_stream)
        images.record_stream(compute_stream)
        return images, target

    iterator = iter(batches)
    first = next(iterator, None)
    if first is None:
        return
    ahead = start_copy(first)
    for batch in iterator:
        current = hand_over(ahead)
        ahead = start_copy(batch)
        yield current
    yield hand_over(ahead)
