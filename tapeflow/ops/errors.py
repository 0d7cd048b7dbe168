"""TensorFlow's error classes (`tf.errors`), each also the Python exception users catch.

Every class derives from `OpError`, as in TensorFlow, and from the builtin exception closest
in meaning (`InvalidArgumentError` is a `ValueError`, `OutOfRangeError` an `IndexError`,
`ResourceExhaustedError` a `MemoryError`, ...), so both `except tf.errors.InvalidArgumentError`
and `except ValueError` catch a bad argument. They are raised with a message alone
(`InvalidArgumentError("gather: index 5 is out of range [0, 3)")`) or with TensorFlow's
three arguments `(node_def, op, message)`.
"""

from __future__ import annotations

# TensorFlow's status codes (tf.errors.OK, ...), numbered as in its error_codes proto.
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """The base of TensorFlow's op errors: `message`, `op`, `node_def` and `error_code`."""

    error_code = UNKNOWN

    def __init__(self, *args):
        if len(args) >= 3:  # TensorFlow's (node_def, op, message[, error_code])
            node_def, op, message = args[:3]
            if len(args) > 3:
                self.error_code = args[3]
        else:
            node_def, op = None, None
            message = args[0] if args else ""
        super().__init__(message)
        self._message = str(message)
        self._node_def = node_def
        self._op = op

    @property
    def message(self) -> str:
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    def __reduce__(self):
        return (type(self), (self._node_def, None, self._message))


def _error(name: str, code: int, python_base: type, doc: str) -> type:
    return type(name, (OpError, python_base), {"error_code": code, "__doc__": doc,
                                               "__module__": __name__})


CancelledError = _error("CancelledError", CANCELLED, RuntimeError,
                        "An operation was cancelled.")
UnknownError = _error("UnknownError", UNKNOWN, RuntimeError, "An error of unknown kind.")
InvalidArgumentError = _error(
    "InvalidArgumentError", INVALID_ARGUMENT, ValueError,
    "An op received a bad argument (a ValueError too).")
DeadlineExceededError = _error("DeadlineExceededError", DEADLINE_EXCEEDED, TimeoutError,
                               "A deadline passed before the operation finished.")
NotFoundError = _error("NotFoundError", NOT_FOUND, LookupError,
                       "A requested entity (a file, a key) was not found.")
AlreadyExistsError = _error("AlreadyExistsError", ALREADY_EXISTS, RuntimeError,
                            "An entity to create already exists.")
PermissionDeniedError = _error("PermissionDeniedError", PERMISSION_DENIED, PermissionError,
                               "The caller may not run the operation.")
UnauthenticatedError = _error("UnauthenticatedError", UNAUTHENTICATED, RuntimeError,
                              "The request has no valid credentials.")
ResourceExhaustedError = _error("ResourceExhaustedError", RESOURCE_EXHAUSTED, MemoryError,
                                "A resource (memory, a quota) ran out.")
FailedPreconditionError = _error("FailedPreconditionError", FAILED_PRECONDITION, RuntimeError,
                                 "The system is not in a state the operation needs.")
AbortedError = _error("AbortedError", ABORTED, RuntimeError, "The operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", OUT_OF_RANGE, IndexError,
                         "An index or iteration went past the valid range.")
UnimplementedError = _error("UnimplementedError", UNIMPLEMENTED, NotImplementedError,
                            "The operation is not implemented or not supported.")
InternalError = _error("InternalError", INTERNAL, RuntimeError,
                       "An invariant of the system broke.")
UnavailableError = _error("UnavailableError", UNAVAILABLE, RuntimeError,
                          "The service is unavailable.")
DataLossError = _error("DataLossError", DATA_LOSS, RuntimeError,
                       "Unrecoverable data loss or corruption.")

_BY_CODE = {cls.error_code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
    AlreadyExistsError, PermissionDeniedError, UnauthenticatedError, ResourceExhaustedError,
    FailedPreconditionError, AbortedError, OutOfRangeError, UnimplementedError, InternalError,
    UnavailableError, DataLossError)}


def exception_type_from_error_code(error_code: int) -> type:
    """The error class of a status code (`tf.errors.exception_type_from_error_code`)."""
    try:
        return _BY_CODE[error_code]
    except KeyError:
        raise KeyError(f"no error class for error code {error_code!r}") from None


def error_code_from_exception_type(cls: type) -> int:
    """The status code of an error class."""
    if not (isinstance(cls, type) and issubclass(cls, OpError)):
        raise TypeError(f"{cls!r} is not a tf.errors.OpError class")
    return cls.error_code
