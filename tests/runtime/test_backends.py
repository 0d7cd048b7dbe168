"""What the Numba backend hands to native code (runtime/backends.py), no compiling needed."""

import numpy as np
import pytest

from tapeflow.runtime.backends import conform, fits


@pytest.mark.parametrize("value", [
    np.ones((3, 4), np.float32, order="F"),
    np.ones((3, 8), np.float32)[:, ::2],
    np.broadcast_to(np.float32(1.0), (3, 4)),  # read-only, zero strides
    np.ma.masked_array(np.ones((3, 4), np.float32)),  # a subclass
    np.ones((3, 4), np.float64),
    [[1.0] * 4] * 3,
])
def test_conform_gives_the_one_layout_native_code_is_typed_for(value):
    array = conform(value, np.dtype(np.float32))
    assert fits(array, np.dtype(np.float32))
    assert type(array) is np.ndarray and array.shape == (3, 4)
    assert array.flags.c_contiguous and array.flags.writeable and array.flags.aligned
    assert not fits(value, np.dtype(np.float32))


def test_conform_copies_read_only_and_misaligned_arrays_and_keeps_0d():
    frozen = np.arange(3, dtype=np.float32)
    frozen.flags.writeable = False
    assert conform(frozen, np.dtype(np.float32)).flags.writeable
    raw = np.frombuffer(bytearray(13), dtype=np.float32, count=3, offset=1)
    assert conform(raw, np.dtype(np.float32)).flags.aligned
    assert conform(np.float32(2.0), np.dtype(np.float32)).shape == ()
    fine = np.zeros(3, np.float32)
    assert conform(fine, np.dtype(np.float32)) is fine
