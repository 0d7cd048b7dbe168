"""TensorBoard's event files: TFRecord framing and the few protobuf messages `tf.summary`
writes, encoded by hand (no protobuf dependency).

A TFRecord is `length` (uint64, little-endian), the masked CRC-32C of those 8 bytes, the
`length` bytes of data and the masked CRC-32C of the data; a masked CRC is
((crc >> 15) | (crc << 17)) + 0xA282EAD8 (mod 2^32). Each record of an event file is one
serialised `Event`:

    Event          wall_time: double = 1, step: int64 = 2, file_version: string = 3,
                   summary: Summary = 5
    Summary        value: repeated Value = 1
    Value          tag: string = 1, tensor: TensorProto = 8, metadata: SummaryMetadata = 9
    SummaryMetadata  plugin_data: PluginData = 1 (plugin_name: string = 1, content: bytes = 2)
    TensorProto    dtype: enum = 1, tensor_shape: TensorShapeProto = 2, float_val = 5 (packed),
                   double_val = 6 (packed), string_val: repeated bytes = 8
    TensorShapeProto  dim: repeated Dim = 2 (size: int64 = 1)
    GraphDef       node: repeated NodeDef = 1 (name = 1, op = 2, input: repeated = 3)
    RunMetadata    function_graphs: repeated FunctionGraphs = 4
                   (FunctionGraphs.pre_optimization_graph: GraphDef = 2)

`read_events` reads a file back (checking every CRC) into (wall_time, step, fields) tuples,
for tests and for people without TensorBoard.
"""

from __future__ import annotations

import struct

# ---- CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 ---------------------------------


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord holding `data`."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc(length)) + data
            + struct.pack("<I", masked_crc(data)))


def read_records(path: str) -> list[bytes]:
    """The records of a TFRecord file; ValueError naming the file at a bad length or CRC."""
    with open(path, "rb") as f:
        blob = f.read()
    records, at = [], 0
    while at < len(blob):
        if at + 12 > len(blob):
            raise ValueError(f"{path}: truncated record header at byte {at}")
        length = blob[at:at + 8]
        (n,) = struct.unpack("<Q", length)
        (crc,) = struct.unpack("<I", blob[at + 8:at + 12])
        if crc != masked_crc(length):
            raise ValueError(f"{path}: bad length CRC at byte {at}")
        data = blob[at + 12:at + 12 + n]
        if len(data) != n or at + 16 + n > len(blob):
            raise ValueError(f"{path}: truncated record at byte {at}")
        (crc,) = struct.unpack("<I", blob[at + 12 + n:at + 16 + n])
        if crc != masked_crc(data):
            raise ValueError(f"{path}: bad data CRC at byte {at}")
        records.append(data)
        at += 16 + n
    return records


# ---- protobuf wire format ------------------------------------------------------------------

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s: two's complement, 10 bytes
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return varint((field << 3) | wire)


def field_varint(field: int, value: int) -> bytes:
    return _key(field, VARINT) + varint(int(value))


def field_double(field: int, value: float) -> bytes:
    return _key(field, FIXED64) + struct.pack("<d", value)


def field_bytes(field: int, value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, BYTES) + varint(len(value)) + value


def field_packed(field: int, fmt: str, values) -> bytes:
    return field_bytes(field, b"".join(struct.pack("<" + fmt, v) for v in values))


def parse(message: bytes) -> list[tuple[int, int, object]]:
    """(field, wire type, value) of a message: ints for varints and fixed fields (raw
    bits), bytes for length-delimited ones."""
    out, at = [], 0
    while at < len(message):
        key, at = _read_varint(message, at)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            value, at = _read_varint(message, at)
        elif wire == FIXED64:
            value, at = message[at:at + 8], at + 8
        elif wire == FIXED32:
            value, at = message[at:at + 4], at + 4
        elif wire == BYTES:
            n, at = _read_varint(message, at)
            value, at = message[at:at + n], at + n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((field, wire, value))
    return out


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if at >= len(data):
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, at


# ---- the messages tf.summary writes -----------------------------------------------------

DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7


def tensor_proto(dtype: int, shape: tuple, *, floats=None, doubles=None, strings=None) -> bytes:
    dims = b"".join(field_bytes(2, field_varint(1, d)) for d in shape)
    out = field_varint(1, dtype) + field_bytes(2, dims)
    if floats is not None:
        out += field_packed(5, "f", floats)
    if doubles is not None:
        out += field_packed(6, "d", doubles)
    for s in strings or ():
        out += field_bytes(8, s)
    return out


def summary_value(tag: str, tensor: bytes, plugin: str, content: bytes = b"") -> bytes:
    plugin_data = field_bytes(1, plugin) + (field_bytes(2, content) if content else b"")
    metadata = field_bytes(1, plugin_data)
    return field_bytes(1, field_bytes(1, tag) + field_bytes(8, tensor) + field_bytes(9, metadata))


def event(wall_time: float, step: int = 0, *, file_version: str | None = None,
          summary: bytes | None = None) -> bytes:
    out = field_double(1, wall_time)
    if step:
        out += field_varint(2, step)
    if file_version is not None:
        out += field_bytes(3, file_version)
    if summary is not None:
        out += field_bytes(5, summary)
    return out


def graph_def(nodes) -> bytes:
    """GraphDef of (name, op, [input names]) nodes."""
    return b"".join(
        field_bytes(1, field_bytes(1, name) + field_bytes(2, op)
                    + b"".join(field_bytes(3, i) for i in inputs))
        for name, op, inputs in nodes)


def run_metadata(graphs: list[bytes]) -> bytes:
    return b"".join(field_bytes(4, field_bytes(2, g)) for g in graphs)


def read_events(path: str) -> list[tuple[float, int, dict]]:
    """(wall_time, step, {field: [values]}) per event of an event file (raw sub-messages)."""
    events = []
    for record in read_records(path):
        fields: dict = {}
        for field, _, value in parse(record):
            fields.setdefault(field, []).append(value)
        (wall,) = struct.unpack("<d", fields.pop(1, [b"\0" * 8])[0])
        step = fields.pop(2, [0])[0]
        if step >= 1 << 63:
            step -= 1 << 64
        events.append((wall, step, fields))
    return events
