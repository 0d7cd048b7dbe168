"""TensorFlow-style dtype objects (`tf.float32`, ...), thin names over numpy dtypes."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import STRING, bfloat16_dtype, canonical_dtype, dtype_name, is_bfloat16


class DType:
    """A tensor element type. Compares equal to itself, its numpy dtype and its name."""

    __slots__ = ("_np",)

    def __init__(self, np_dtype: np.dtype):
        self._np = np.dtype(np_dtype)

    @property
    def name(self) -> str:
        return dtype_name(self._np)

    @property
    def as_numpy_dtype(self):
        return self._np.type

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f" or is_bfloat16(self._np)

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def is_complex(self) -> bool:
        return self._np.kind == "c"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"  # bool is not (TF's is_unsigned is False for it)

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self._np.itemsize

    @property
    def min(self):
        """The lowest finite value (TF's `DType.min`); TypeError for types without one."""
        if self._np.kind in "iu":
            return np.iinfo(self._np).min
        if is_bfloat16(self._np):
            import ml_dtypes

            return ml_dtypes.finfo(self._np).min
        if self._np.kind == "f":
            return np.finfo(self._np).min
        if self._np.kind == "b":
            return False
        raise TypeError(f"Cannot find minimum value of {self!r}.")

    @property
    def max(self):
        """The highest finite value (TF's `DType.max`)."""
        if self._np.kind in "iu":
            return np.iinfo(self._np).max
        if is_bfloat16(self._np):
            import ml_dtypes

            return ml_dtypes.finfo(self._np).max
        if self._np.kind == "f":
            return np.finfo(self._np).max
        if self._np.kind == "b":
            return True
        raise TypeError(f"Cannot find maximum value of {self!r}.")

    @property
    def real_dtype(self) -> "DType":
        """The type of the real part (float32 for complex64), else the type itself."""
        if self._np.kind == "c":
            return from_numpy(np.dtype(f"f{self._np.itemsize // 2}"))
        return self

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    @property
    def base_dtype(self) -> "DType":
        return self

    def __eq__(self, other) -> bool:
        if isinstance(other, DType):
            return self._np == other._np
        try:
            return self._np == as_numpy_dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self._np)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: {self.name!r}>"


class _Bfloat16(DType):
    """tf.bfloat16. Its numpy type comes from the optional ml_dtypes package, imported the
    first time the type itself is needed (see ops.core.bfloat16_dtype); naming and printing
    it do not import it, and without the package any use says how to install it."""

    __slots__ = ()

    def __init__(self):
        pass

    @property
    def _np(self) -> np.dtype:  # shadows DType's slot: resolved on each use, cached there
        bf16 = bfloat16_dtype()
        if bf16 is None:
            raise TypeError("tf.bfloat16 needs the optional package ml_dtypes "
                            "(pip install 'tapeflow[bfloat16]')")
        return bf16

    @property
    def name(self) -> str:
        return "bfloat16"

    @property
    def is_floating(self) -> bool:
        return True


float16 = DType(np.float16)
float32 = DType(np.float32)
float64 = DType(np.float64)
bfloat16 = _Bfloat16()
int8 = DType(np.int8)
int16 = DType(np.int16)
int32 = DType(np.int32)
int64 = DType(np.int64)
uint8 = DType(np.uint8)
uint16 = DType(np.uint16)
uint32 = DType(np.uint32)
uint64 = DType(np.uint64)
complex64 = DType(np.complex64)
complex128 = DType(np.complex128)
string = DType(STRING)
bool = DType(np.bool_)  # noqa: A001 - TensorFlow's name, as users write `tf.bool`
half = float16
double = float64
_BY_NUMPY = {d._np: d for d in (
    float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    complex64, complex128, string, bool)}  # bfloat16 apart: its numpy type is imported late


def as_numpy_dtype(dtype) -> np.dtype:
    """Any dtype spelling users write -> numpy dtype (Python float is float32, as in TF)."""
    return canonical_dtype(dtype)


def as_dtype(dtype) -> DType:
    """Any dtype spelling -> the tapeflow DType (`tf.as_dtype`)."""
    return from_numpy(as_numpy_dtype(dtype))


def from_numpy(np_dtype: np.dtype) -> DType:
    if is_bfloat16(np_dtype):
        return bfloat16
    return _BY_NUMPY[np_dtype]
