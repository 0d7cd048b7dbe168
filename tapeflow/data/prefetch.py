"""`Dataset.prefetch`: the pipeline upstream runs on a background thread, ahead of the loop.

A worker thread iterates the input and puts elements into a bounded queue; the consumer
takes them in order. An exception upstream reaches the consumer at the element where it
happened; a consumer that stops early (a `break`, a `take` downstream, a dropped iterator)
sets a stop flag, and the worker ends after the element it is making. Each iteration has its
own worker and queue.

Ops the worker runs (a `map` function upstream) are eager: tracing state is per thread, so
they are never recorded into a `@tapeflow.function` the main thread is tracing meanwhile.
"""

from __future__ import annotations

import queue
import threading

from tapeflow.data.dataset import AUTOTUNE, Dataset
from tapeflow.data.structure import _count
from tapeflow.ops.core import InvalidArgumentError

DEFAULT_BUFFER = 2  # what AUTOTUNE means here: one element in use, one ready

_ITEM, _DONE, _ERROR = 0, 1, 2
_POLL_S = 0.05  # how often a blocked worker looks at the stop flag


class Prefetch(Dataset):
    def __init__(self, input_dataset, buffer_size):
        size = _count(buffer_size, "prefetch")
        if size < 1 and size != AUTOTUNE:
            raise InvalidArgumentError(f"prefetch: buffer_size must be positive or AUTOTUNE, "
                                       f"got {size}")
        self._input = input_dataset
        self._size = DEFAULT_BUFFER if size == AUTOTUNE else size

    def _elements(self):
        items: queue.Queue = queue.Queue(maxsize=self._size)
        stop = threading.Event()

        def put(entry) -> bool:
            while not stop.is_set():
                try:
                    items.put(entry, timeout=_POLL_S)
                    return True
                except queue.Full:
                    continue
            return False

        def work():
            try:
                for element in self._input._elements():
                    if not put((_ITEM, element)):
                        return
                put((_DONE, None))
            except BaseException as e:  # handed to the consumer, raised there
                put((_ERROR, e))

        worker = threading.Thread(target=work, name="tapeflow-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = items.get()
                if kind == _DONE:
                    return
                if kind == _ERROR:
                    raise value
                yield value
        finally:
            stop.set()

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()
