"""tapeflow: TensorFlow-style GradientTape code, recorded as IR graphs and compiled.

`import tapeflow as tf` runs tape code written for TensorFlow: tensors, variables, tapes and
the ops below all go through one `bind` (tapeflow.ops.core) that evaluates eagerly and records
on the active tapes.
"""

__version__ = "0.1.0"

import importlib as _importlib

from tapeflow import ops  # registers every primitive
from tapeflow.tracer import tape as _tape  # installs the eager tracer behind `bind`
from tapeflow.tracer.custom_gradient import custom_gradient, recompute_grad
from tapeflow.api import dtypes, errors, linalg, math, nn
from tapeflow.ops import (
    abs,
    add,
    add_n,
    broadcast_to,
    cast,
    clip_by_value,
    concat,
    cos,
    divide,
    equal,
    exp,
    expand_dims,
    fill,
    gather,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    norm,
    not_equal,
    ones_like,
    pow,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    reshape,
    shape,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squeeze,
    stack,
    stop_gradient,
    subtract,
    tan,
    tanh,
    tensordot,
    tile,
    transpose,
    unstack,
    where,
    zeros_like,
)
from tapeflow.ops import (  # numeric ops of issue 10 (ops/mathops.py, ops/ranges.py, ...)
    acos,
    acosh,
    argmax,
    argmin,
    argsort,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    boolean_mask,
    case,
    ceil,
    cond,
    cosh,
    cumsum,
    einsum,
    eye,
    floor,
    foldl,
    foldr,
    gather_nd,
    linspace,
    map_fn,
    meshgrid,
    one_hot,
    pad,
    reverse,
    roll,
    round,
    scan,
    scatter_nd,
    sinh,
    slice,
    sort,
    split,
    switch_case,
    tensor_scatter_nd_add,
    tensor_scatter_nd_max,
    tensor_scatter_nd_min,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_update,
    truncatediv,
    truncatemod,
    unique,
    unique_with_counts,
    vectorized_map,
    while_loop,
)
from tapeflow.ops import divide as truediv
from tapeflow.tracer.creation import ones, range, zeros
from tapeflow.tracer.dtypes import (
    DType,
    as_dtype,
    bfloat16,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from tapeflow.tracer.module import Module
from tapeflow.tracer.name_scope import name_scope
from tapeflow.tracer.tape import GradientTape, UnconnectedGradients
from tapeflow.tracer.tensor import Tensor, constant, convert_to_tensor
from tapeflow.tracer.tensor_shape import TensorShape
from tapeflow.tracer.variable import Variable
from tapeflow.tracer.variable_enums import VariableAggregationV2 as VariableAggregation
from tapeflow.tracer.variable_enums import VariableSynchronization
from tapeflow.runtime.function import Function, RetraceWarning, function
from tapeflow.runtime.signature import TensorSpec
from tapeflow.ops.clip import clip_by_global_norm, clip_by_norm

from tapeflow.api.general import device, executing_eagerly, init_scope, rank, size
from tapeflow.api.general import broadcast_dynamic_shape, broadcast_static_shape
from tapeflow.ops.array import strided_slice
from tapeflow.api.printing import print_ as print  # noqa: A001 - TensorFlow's name

newaxis = None

# The second math sweep: tf.complex and tf.saturate_cast at the top level, as in TF.
from tapeflow.ops import complex, saturate_cast  # noqa: E402, F401, A004
from tapeflow.ops import scalar_mul  # noqa: E402, F401 - tf.scalar_mul, as tf.math's


# What a tape step rarely needs is imported on first use (PEP 562), so that `import tapeflow`,
# on the path of every fresh process's first step, stays short: these modules and what they
# import (the SavedModel and checkpoint formats, TensorBoard's event files, AutoGraph's text,
# strings, ragged and sparse tensors, random generators) were ~70 ms of a 0.2 s import.
# None of them registers primitives (tapeflow.ops does), so importing late changes nothing.
# tf.saved_model and tf.summary are the packages tapeflow/saved_model and tapeflow/summary
# themselves, so that importing one of their modules first sets the same attribute.
_LAZY_NAMESPACES = {
    "autograph": "tapeflow.api.autograph",
    "bitwise": "tapeflow.api.bitwise",      # tf.bitwise
    "config": "tapeflow.api.config",
    "data": "tapeflow.data",                # tf.data
    "debugging": "tapeflow.api.debugging",
    "image": "tapeflow.api.image",
    "io": "tapeflow.api.io",
    "keras": "tapeflow.keras",              # tf.keras
    "profiler": "tapeflow.api.profiler",
    "ragged": "tapeflow.api.ragged",
    "random": "tapeflow.api.random",
    "saved_model": "tapeflow.saved_model",
    "sparse": "tapeflow.api.sparse",
    "strings": "tapeflow.api.strings",
    "summary": "tapeflow.summary",
    "train": "tapeflow.api.train",          # tf.train
    "types": "tapeflow.api.types",
}
# Names of the top-level namespace that live in those modules: (module, attribute).
_LAZY_NAMES = {
    "RaggedTensor": ("tapeflow.api.ragged", "RaggedTensor"),
    "SparseTensor": ("tapeflow.api.sparse", "SparseTensor"),
    "TensorArray": ("tapeflow.api.tensor_array", "TensorArray"),
    "explain_gradient": ("tapeflow.tracer.explain", "explain_gradient"),
    "numpy_function": ("tapeflow.api.pyfunc", "numpy_function"),
    "py_function": ("tapeflow.api.pyfunc", "py_function"),
}


def __getattr__(name):
    if name in _LAZY_NAMESPACES:
        value = _importlib.import_module(_LAZY_NAMESPACES[name])
    elif name in _LAZY_NAMES:
        module, attribute = _LAZY_NAMES[name]
        value = getattr(_importlib.import_module(module), attribute)
    else:
        raise AttributeError(f"module 'tapeflow' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMESPACES) | set(_LAZY_NAMES))

# The debugging sweep: tf.debugging's assertions under TF's top-level names, and small
# top-level helpers (tapeflow/api/asserts.py, tapeflow/api/toplevel.py).
from tapeflow.api.asserts import (  # noqa: E402
    Assert,
    assert_equal,
    assert_greater,
    assert_less,
    assert_rank,
)
from tapeflow.api.toplevel import (  # noqa: E402
    control_dependencies,
    dynamic_partition,
    dynamic_stitch,
    ensure_shape,
    get_current_name_scope,
    get_logger,
    get_static_value,
    group,
    histogram_fixed_width,
    identity_n,
    inside_function,
    is_tensor,
    make_ndarray,
    no_op,
    parallel_stack,
)

_LAZY_NAMES.update({
    "as_string": ("tapeflow.api.strings", "as_string"),
    # TF 2.21's top-level initializers are the Keras ones (init_ops_v2's classes).
    "constant_initializer": ("tapeflow.keras.initializers", "Constant"),
    "ones_initializer": ("tapeflow.keras.initializers", "Ones"),
    "zeros_initializer": ("tapeflow.keras.initializers", "Zeros"),
    "random_normal_initializer": ("tapeflow.keras.initializers", "RandomNormal"),
    "random_uniform_initializer": ("tapeflow.keras.initializers", "RandomUniform"),
})
