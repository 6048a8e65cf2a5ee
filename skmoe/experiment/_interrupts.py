"""Ctrl-C during an expert's training stops the job, also where the trainer swallows it.

skorch ends ``fit`` quietly on a KeyboardInterrupt (in a notebook, that stops a long training
and keeps the network as it is), and so can other trainers. In ``skmoe run`` that would save a
half-trained expert as finished, and every later run would reuse it. So while an expert trains,
the job notices SIGINT itself; when one arrived, the expert is not saved and the job stops.
"""

import contextlib
import signal
import threading


class ExpertInterrupted(KeyboardInterrupt):
    """Training of an expert was interrupted: nothing of it is kept."""


@contextlib.contextmanager
def noticing_interrupts():
    """Yield a list that receives every SIGINT that arrives inside the block.

    The signal still does what it did before (Python's handler raises KeyboardInterrupt),
    so an interrupt stops the trainer as it would without this. Outside the main thread,
    where Python allows no signal handler, where SIGINT is ignored, and where its handler was
    not set from Python, the list stays empty and nothing changes.
    """
    noticed = []
    if threading.current_thread() is not threading.main_thread():
        yield noticed
        return
    previous = signal.getsignal(signal.SIGINT)
    # Ignored (e.g. in a joblib worker, whose parent handles Ctrl-C), or a handler set outside
    # Python, which could not be put back: left as it is.
    if previous is None or previous == signal.SIG_IGN:
        yield noticed
        return

    def notice(signum, frame):
        noticed.append(signum)
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL: stop as Python would
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, notice)
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, previous)
