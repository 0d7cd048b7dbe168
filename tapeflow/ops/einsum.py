"""`tf.einsum` as a composition of transposes, reshapes, reductions and batched matmuls (the
BLAS path), so it needs no rules of its own: its gradient is that of its parts.

Operands are contracted left to right. Before a pair is contracted, each operand takes its
diagonals (a letter written twice: `ii->i`) and sums the letters that nothing later needs;
the pair then becomes one matmul [batch, free_a, contracted] @ [batch, contracted, free_b].
`...` stands for the leading axes not named by letters, broadcast between operands as numpy
does.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, prod, promote, shape_of
from tapeflow.ops.linalg import matmul
from tapeflow.ops.reductions import reduce_sum
from tapeflow.ops.shape import broadcast_to, gather, reshape, transpose

# Names for the axes `...` covers: characters no equation can contain as letters.
_ELLIPSIS_BASE = 0x2460


def _parse(equation: str, shapes) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise InvalidArgumentError(
            f"einsum: equation {equation!r} names {len(terms)} operands, got {len(shapes)}")
    ell_rank = 0
    named = []
    for term, shape in zip(terms, shapes):
        letters = term.replace("...", "")
        if not all(c.isalpha() for c in letters) or term.count("...") > 1:
            raise InvalidArgumentError(f"einsum: cannot read the operand term {term!r} of "
                                       f"{equation!r}")
        n_ell = len(shape) - len(letters)
        if ("..." not in term and n_ell != 0) or n_ell < 0:
            raise InvalidArgumentError(
                f"einsum: term {term!r} of {equation!r} does not fit an operand of shape "
                f"{list(shape)}")
        ell_rank = max(ell_rank, n_ell)
        ell = "".join(chr(_ELLIPSIS_BASE + ell_rank - n_ell + k) for k in range(n_ell))
        named.append(term.replace("...", ell))
    ell_all = "".join(chr(_ELLIPSIS_BASE + k) for k in range(ell_rank))
    if explicit:
        out = out.replace("...", ell_all)
        if not all(c.isalpha() or c in ell_all for c in out) or len(set(out)) != len(out):
            raise InvalidArgumentError(f"einsum: cannot read the output term of {equation!r}")
        missing = [c for c in out if not any(c in t for t in named)]
        if missing:
            raise InvalidArgumentError(
                f"einsum: output letters {missing} of {equation!r} are not in any operand")
    else:
        # Implicit output: the ellipsis axes, then the letters used once, in alphabetical order.
        counts: dict[str, int] = {}
        for t in named:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell_all + "".join(sorted(c for c, n in counts.items() if n == 1 and c.isalpha()))
    return named, out


def _diagonals(x, letters: str):
    """Take the diagonal of every letter written twice in one operand."""
    while True:
        repeated = next((c for c in letters if letters.count(c) > 1), None)
        if repeated is None:
            return x, letters
        p = letters.index(repeated)
        q = letters.index(repeated, p + 1)
        shape = tuple(shape_of(x))
        if shape[p] != shape[q]:
            raise InvalidArgumentError(
                f"einsum: letter {repeated!r} has sizes {shape[p]} and {shape[q]} in one operand")
        n = shape[p]
        rest = [i for i in range(len(shape)) if i not in (p, q)]
        moved = transpose(x, rest + [p, q])
        flat = reshape(moved, [shape[i] for i in rest] + [n * n])
        x = gather(flat, np.arange(n, dtype=np.int32) * (n + 1), axis=len(rest))
        letters = "".join(letters[i] for i in rest) + repeated


def _sum_unneeded(x, letters: str, needed: str):
    axes = [i for i, c in enumerate(letters) if c not in needed]
    if not axes:
        return x, letters
    return reduce_sum(x, axes), "".join(c for c in letters if c in needed)


def _contract(a, la: str, b, lb: str, keep: str, sizes: dict):
    batch = [c for c in la if c in lb and c in keep]
    contracted = [c for c in la if c in lb and c not in keep]
    free_a = [c for c in la if c not in lb]
    free_b = [c for c in lb if c not in la]
    # Broadcast size-1 axes (from `...`) of either side to the common size.
    for x_is_a in (True, False):
        x, lx = (a, la) if x_is_a else (b, lb)
        target = [sizes[c] for c in lx]
        if list(shape_of(x)) != target:
            x = broadcast_to(x, target)
            if x_is_a:
                a = x
            else:
                b = x
    at = transpose(a, [la.index(c) for c in batch + free_a + contracted])
    bt = transpose(b, [lb.index(c) for c in batch + contracted + free_b])
    size = lambda cs: prod(sizes[c] for c in cs)  # noqa: E731
    # Without batch letters a plain 2-D product (one BLAS call, no batch loop).
    lead = [size(batch)] if batch else []
    a3 = reshape(at, lead + [size(free_a), size(contracted)])
    b3 = reshape(bt, lead + [size(contracted), size(free_b)])
    out = matmul(a3, b3)
    letters = "".join(batch + free_a + free_b)
    return reshape(out, [sizes[c] for c in letters]), letters


def einsum(equation, *inputs, **kwargs):
    """`tf.einsum`: the sum over repeated letters of products of the operands' elements
    (`ij,jk->ik` is a matrix product; `...` stands for leading axes)."""
    if kwargs.keys() - {"name", "optimize"}:
        raise InvalidArgumentError(f"einsum: unexpected arguments {sorted(kwargs)}")
    if not inputs:
        raise InvalidArgumentError("einsum: needs at least one operand")
    xs = list(promote("einsum", *inputs))
    shapes = [tuple(shape_of(x)) for x in xs]
    terms, out = _parse(equation, shapes)
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        for c, d in zip(term, shape):
            known = sizes.get(c)
            if known is None or known == 1:
                sizes[c] = d
            elif d != known and d != 1:
                raise InvalidArgumentError(
                    f"einsum: {equation!r}: letter {c!r} has sizes {known} and {d} "
                    f"(operand shapes {[list(s) for s in shapes]})")
    x, letters = None, ""
    for k, (operand, term) in enumerate(zip(xs, terms)):
        later = "".join(terms[k + 1:]) + out
        operand, term = _diagonals(operand, term)
        operand, term = _sum_unneeded(operand, term, later + letters)
        if x is None:
            x, letters = operand, term
            continue
        x, letters = _sum_unneeded(x, letters, later + term)
        x, letters = _contract(x, letters, operand, term, later, sizes)
    x, letters = _sum_unneeded(x, letters, out)
    target = [sizes[c] for c in letters]
    if list(shape_of(x)) != target:
        x = broadcast_to(x, target)
    return transpose(x, [letters.index(c) for c in out])
