"""`tf.config`: the settings TensorFlow code reaches for, as far as they mean something here.

tapeflow runs on the CPU alone, so the device list is one CPU and device settings that only
narrow the choice to the CPU are accepted; asking for a device that does not exist is an
error, as in TensorFlow. `run_functions_eagerly(True)` makes every `tapeflow.function` call
its Python function directly (no tracing), for debugging.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

from tapeflow.ops.errors import InvalidArgumentError


@dataclass(frozen=True)
class PhysicalDevice:
    """`tf.config.PhysicalDevice`: a device's name and type."""

    name: str
    device_type: str

    def __repr__(self) -> str:
        return f"PhysicalDevice(name={self.name!r}, device_type={self.device_type!r})"


@dataclass(frozen=True)
class LogicalDevice:
    """`tf.config.LogicalDevice`."""

    name: str
    device_type: str

    def __repr__(self) -> str:
        return f"LogicalDevice(name={self.name!r}, device_type={self.device_type!r})"


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_KINDS = ("CPU", "GPU", "TPU")


def _device_type(device_type, op: str):
    if device_type is None:
        return None
    if not isinstance(device_type, str):
        raise TypeError(f"{op}: device_type must be a string such as 'GPU', got "
                        f"{type(device_type).__name__}")
    return device_type.upper()


def list_physical_devices(device_type=None) -> list[PhysicalDevice]:
    """The devices of `device_type` ('CPU', 'GPU', ...; all when None): one CPU."""
    kind = _device_type(device_type, "list_physical_devices")
    return [_CPU] if kind in (None, "CPU") else []


def list_logical_devices(device_type=None) -> list[LogicalDevice]:
    kind = _device_type(device_type, "list_logical_devices")
    return [LogicalDevice("/device:CPU:0", "CPU")] if kind in (None, "CPU") else []


def get_visible_devices(device_type=None) -> list[PhysicalDevice]:
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None) -> None:
    """Accepted when it keeps the CPU visible (or only hides devices that do not exist);
    hiding the CPU is an error, since tapeflow has nothing else to run on."""
    _device_type(device_type, "set_visible_devices")
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in devices:
        if not isinstance(d, PhysicalDevice) or d != _CPU:
            raise InvalidArgumentError(
                f"set_visible_devices: {d!r} is not a device of this machine (tapeflow "
                "runs on the CPU alone: tf.config.list_physical_devices() lists it)")
    if _device_type(device_type, "set_visible_devices") in (None, "CPU") and not devices:
        raise InvalidArgumentError("set_visible_devices: the CPU cannot be hidden")


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Make every `tapeflow.function` run its Python function directly (True), or trace
    and compile again (False), as `tf.config.run_functions_eagerly`."""
    from tapeflow.runtime import function

    if not isinstance(run_eagerly, bool):
        raise TypeError(f"run_functions_eagerly: expected True or False, got {run_eagerly!r}")
    function.set_run_eagerly(run_eagerly)


def experimental_run_functions_eagerly(run_eagerly: bool) -> None:
    """TensorFlow's older (deprecated) name of `run_functions_eagerly`, which the guides
    still call."""
    run_functions_eagerly(run_eagerly)


def functions_run_eagerly() -> bool:
    from tapeflow.runtime import function

    return function.run_eagerly()


_determinism = [False]


def _enable_op_determinism() -> None:
    """Every tapeflow op is deterministic already (no atomics, a fixed reduction order
    for a given graph and size), so this only records the request."""
    _determinism[0] = True


def _disable_op_determinism() -> None:
    _determinism[0] = False


def _is_op_determinism_enabled() -> bool:
    return _determinism[0]


def _set_memory_growth(device, enable: bool) -> None:
    if not isinstance(device, PhysicalDevice):
        raise TypeError(f"set_memory_growth: expected a PhysicalDevice, got {device!r}")
    if device.device_type == "CPU":  # TF: memory growth is for GPUs only
        raise ValueError(f"Cannot set memory growth on device {device!r}: it is not a GPU")


experimental = types.SimpleNamespace(
    enable_op_determinism=_enable_op_determinism,
    disable_op_determinism=_disable_op_determinism,
    is_op_determinism_enabled=_is_op_determinism_enabled,
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    set_visible_devices=set_visible_devices,
    get_visible_devices=get_visible_devices,
    set_memory_growth=_set_memory_growth,
)
