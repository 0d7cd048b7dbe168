"""A layered (Sugiyama-style) layout of a picture's model, in pure Python.

Why our own: grandalf, the pure-Python layout library, took 2.8 s to lay out a 1,000-node
graph here, over the whole budget for drawing one (2 s), and a pip wheel with a layout engine
would bring a native dependency to a step that needs none. Data flows down the page, so four
steps do:

1. layers: each node one layer below its lowest producer (longest path); an input sits just
   above its first reader, so a variable read late does not stretch an edge down the page;
2. order within layers: alternating downward and upward sweeps that sort each layer by the
   mean position of its neighbours (the barycenter heuristic), with the members of a group
   (kernel, then line) kept next to each other, so group boxes hold their own nodes only;
3. x: each node goes to the mean x of its neighbours, pushed right as little as keeps the
   order and the spacing, then the layer is centred on where it wants to be;
4. boxes: each group's box is the bounding box of its members and child groups, padded.

Runs in about O(sweeps * edges * log) time: a thousand equations in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

from tapeflow.viz.model import Model

CHAR_W = 6.6  # width of a character at the drawings' 11 px monospace font
NODE_H = 34
PAD_X = 10
MIN_W = 56
GAP_X = 18
GAP_Y = 60
GROUP_GAP = 30  # extra space between nodes of different groups in one layer
GROUP_PAD = 8
LABEL_H = 14  # room for a group's label above its members
MARGIN = 20
SWEEPS = 4


@dataclass
class Box:
    x: float  # left
    y: float  # top
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class Layout:
    nodes: dict[str, Box]
    groups: dict[str, Box]
    width: float
    height: float
    layers: dict[str, int]


def node_size(op: str, type_text: str) -> tuple[float, float]:
    chars = max(len(op), len(type_text))
    return max(MIN_W, chars * CHAR_W + 2 * PAD_X), NODE_H


def layout(model: Model) -> Layout:
    ids = [n.id for n in model.nodes]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for a, b in model.edges:
        preds[b].append(a)
        succs[a].append(b)

    # 1. Layers. Node order is a topological order (inputs, equations, outputs).
    layer: dict[str, int] = {}
    for i in ids:
        layer[i] = max((layer[p] + 1 for p in preds[i]), default=0)
    for n in model.nodes:
        if n.kind in ("input", "variable") and succs[n.id]:
            layer[n.id] = max(0, min(layer[s] for s in succs[n.id]) - 1)
    depth = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for i in ids:
        rows[layer[i]].append(i)

    # Group path of each node, outermost first (for keeping groups together).
    group_of = {g.id: g for g in model.groups}
    path: dict[str, tuple[str, ...]] = {}
    for n in model.nodes:
        chain, g = [], n.group
        while g is not None:
            chain.append(g)
            g = group_of[g].parent
        path[n.id] = tuple(reversed(chain))

    # 2. Order within layers.
    pos = {i: float(k) for row in rows for k, i in enumerate(row)}

    def sort_row(row: list[str], neighbours) -> None:
        bary = {}
        for i in row:
            ns = neighbours[i]
            bary[i] = sum(pos[j] for j in ns) / len(ns) if ns else pos[i]
        # The mean barycenter of each group prefix in this row orders groups as blocks.
        sums: dict[tuple, list[float]] = {}
        for i in row:
            for d in range(1, len(path[i]) + 1):
                acc = sums.setdefault(path[i][:d], [0.0, 0])
                acc[0] += bary[i]
                acc[1] += 1

        def key(i):
            parts = []
            for d in range(1, len(path[i]) + 1):
                s, c = sums[path[i][:d]]
                parts.append((s / c, path[i][d - 1]))
            # A node outside any group sorts by its own barycenter among the blocks.
            return (parts[0] if parts else (bary[i], ""),) + tuple(parts[1:]) + ((bary[i], i),)

        row.sort(key=key)
        for k, i in enumerate(row):
            pos[i] = float(k)

    for sweep in range(SWEEPS):
        if sweep % 2 == 0:
            for row in rows[1:]:
                sort_row(row, preds)
        else:
            for row in reversed(rows[:-1]):
                sort_row(row, succs)

    # 3. x coordinates.
    size = {n.id: node_size(n.op, n.type) for n in model.nodes}
    x: dict[str, float] = {}
    for row in rows:  # a first packing, left to right
        cursor = 0.0
        for k, i in enumerate(row):
            if k:
                cursor += _gap(path, row[k - 1], i)
            x[i] = cursor + size[i][0] / 2
            cursor += size[i][0]
    for sweep in range(SWEEPS):
        neighbours = preds if sweep % 2 == 0 else succs
        order = rows if sweep % 2 == 0 else list(reversed(rows))
        for row in order:
            want = [
                sum(x[j] for j in neighbours[i]) / len(neighbours[i]) if neighbours[i]
                else x[i] for i in row
            ]
            placed = []
            for k, i in enumerate(row):
                lo = -1e18 if k == 0 else placed[-1] + (size[row[k - 1]][0] + size[i][0]) / 2 \
                    + _gap(path, row[k - 1], i)
                placed.append(max(want[k], lo))
            shift = sum(w - p for w, p in zip(want, placed)) / len(row)
            for i, p in zip(row, placed):
                x[i] = p + shift

    _clear_group_bands(model, rows, layer, path, size, x)

    # Coordinates from the top left corner.
    boxes: dict[str, Box] = {}
    for i in ids:
        w, h = size[i]
        boxes[i] = Box(x[i] - w / 2, layer[i] * (NODE_H + GAP_Y), w, h)

    # 4. Group boxes, innermost first.
    groups: dict[str, Box] = {}
    for g in sorted(model.groups, key=lambda g: -_depth(g, group_of)):
        members = [boxes[m] for m in g.members] + [groups[c] for c in g.children if c in groups]
        if not members:
            continue
        x0 = min(b.x for b in members) - GROUP_PAD
        y0 = min(b.y for b in members) - GROUP_PAD - LABEL_H
        x1 = max(b.x + b.w for b in members) + GROUP_PAD
        y1 = max(b.y + b.h for b in members) + GROUP_PAD
        groups[g.id] = Box(x0, y0, x1 - x0, y1 - y0)

    everything = list(boxes.values()) + list(groups.values())
    if not everything:
        return Layout({}, {}, 2 * MARGIN, 2 * MARGIN, {})
    min_x = min(b.x for b in everything)
    min_y = min(b.y for b in everything)
    for b in everything:
        b.x += MARGIN - min_x
        b.y += MARGIN - min_y
    width = max(b.x + b.w for b in everything) + MARGIN
    height = max(b.y + b.h for b in everything) + MARGIN
    return Layout(boxes, groups, width, height, layer)


def _clear_group_bands(model, rows, layer, path, size, x) -> None:
    """Keep group boxes apart and free of other nodes.

    A group spans several layers. Two sibling groups (same parent) whose layers overlap are
    put side by side (the right one moves right, whole); a node of no group, or of a group
    elsewhere in the tree, that lies inside a group's x range moves to its nearer side. Each
    layer is then packed again to keep its order and spacing; a few rounds settle it."""
    pad = 2 * GROUP_PAD + GAP_X / 2  # a group's box is padded around its inner boxes
    members: dict[str, list[str]] = {}
    group_path: dict[str, tuple] = {}
    for n in model.nodes:
        for d, g in enumerate(path[n.id]):
            members.setdefault(g, []).append(n.id)
            group_path[g] = path[n.id][:d + 1]
    by_parent: dict[tuple, list[str]] = {}
    for g, gp in group_path.items():
        by_parent.setdefault(gp[:-1], []).append(g)
    for _ in range(8):
        bands = {}
        for g, ids in members.items():
            bands[g] = [min(x[i] - size[i][0] / 2 for i in ids) - pad,
                        max(x[i] + size[i][0] / 2 for i in ids) + pad,
                        min(layer[i] for i in ids), max(layer[i] for i in ids)]
        moved = False
        for siblings in by_parent.values():
            ordered = sorted(siblings, key=lambda g: bands[g][0])
            for k, a in enumerate(ordered):
                for b in ordered[k + 1:]:
                    la, lb = bands[a], bands[b]
                    if la[2] > lb[3] or lb[2] > la[3] or lb[0] >= la[1]:
                        continue
                    shift = la[1] - lb[0]
                    for i in members[b]:
                        x[i] += shift
                    lb[0] += shift
                    lb[1] += shift
                    moved = True
        for g, (lo, hi, first, last) in bands.items():
            depth = len(group_path[g]) - 1
            parent = group_path[g][:-1]
            centre = (lo + hi) / 2
            for row in rows[first:last + 1]:
                for i in row:
                    p = path[i]
                    if g in p or (len(p) > depth and p[:depth] == parent):
                        continue  # a member, or in a sibling group (moved apart above)
                    half = size[i][0] / 2
                    if x[i] + half > lo and x[i] - half < hi:
                        x[i] = lo - half if x[i] < centre else hi + half
                        moved = True
        if not moved:
            return
        for row in rows:
            row.sort(key=lambda i: x[i])
            for k in range(1, len(row)):
                a, b = row[k - 1], row[k]
                least = x[a] + (size[a][0] + size[b][0]) / 2 + _gap(path, a, b)
                if x[b] < least:
                    x[b] = least


def _gap(path, a: str, b: str) -> float:
    return GAP_X if path[a] == path[b] else GAP_X + GROUP_GAP * _unshared(path[a], path[b])


def _unshared(p: tuple, q: tuple) -> int:
    """How many group boundaries lie between two neighbours (1 or 2 here)."""
    common = 0
    for a, b in zip(p, q):
        if a != b:
            break
        common += 1
    return min(2, max(len(p), len(q)) - common)


def _depth(g, group_of) -> int:
    d = 0
    while g.parent is not None:
        g = group_of[g.parent]
        d += 1
    return d
