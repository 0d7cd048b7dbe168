// tapeflow's graph viewer: one self-contained page, no network. The layout comes computed
// (tapeflow/viz/layout.py); this script draws it as SVG and adds pan/zoom, expand/collapse
// of groups, search by op or user line, forward/adjoint filtering, the side panel and the
// profile's shading. `window.tapeflowViewer` exposes the same actions for tests.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("tapeflow-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const model = DATA.model, lay = DATA.layout, style = DATA.style;
  const nodes = new Map(model.nodes.map(n => [n.id, n]));
  const groups = new Map(model.groups.map(g => [g.id, g]));
  const collapsed = new Set();
  let side = "both";
  let matches = [], matchIndex = -1, selected = null;

  // Each node's chain of groups, innermost first.
  const chain = new Map();
  for (const n of model.nodes) {
    const c = [];
    let g = n.group;
    while (g) { c.push(g); g = groups.get(g).parent; }
    chain.set(n.id, c);
  }
  // Members of a group at any depth.
  const allMembers = new Map();
  for (const g of model.groups) allMembers.set(g.id, []);
  for (const n of model.nodes) for (const g of chain.get(n.id)) allMembers.get(g).push(n.id);

  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // ---- drawing --------------------------------------------------------------------------
  const svg = document.querySelector("#canvas svg");
  const viewport = el("g", { id: "viewport" }, svg);
  const groupLayer = el("g", { class: "clusters" }, viewport);
  const edgeLayer = el("g", { class: "edges" }, viewport);
  const nodeLayer = el("g", { class: "nodes" }, viewport);
  const groupEls = new Map(), nodeEls = new Map();
  const profile = DATA.profile || null;
  const stepTime = profile ? profile.step : 0;

  function shade(share) {  // white -> red by share of the step's time
    const t = Math.max(0, Math.min(1, share * 3));
    const r = 255, g = Math.round(255 - 160 * t), b = Math.round(255 - 170 * t);
    return `rgb(${r},${g},${b})`;
  }
  function fmtTime(s) { return s >= 1e-3 ? (s * 1e3).toFixed(2) + " ms" : (s * 1e6).toFixed(1) + " us"; }

  const depth = g => { let d = 0; while (g.parent) { g = groups.get(g.parent); d++; } return d; };
  for (const g of [...model.groups].sort((a, b) => depth(a) - depth(b))) {
    const box = lay.groups[g.id];
    if (!box) continue;
    const [fill, stroke, dash] = style.groups[g.kind];
    const ge = el("g", { class: "cluster " + g.kind, id: "g-" + g.id, "data-group": g.id },
                  groupLayer);
    const rect = el("rect", { class: "box", x: box[0], y: box[1], width: box[2],
                              height: box[3], rx: 6, fill: fill === "none" ? "transparent" : fill,
                              stroke: stroke, "stroke-dasharray": dash }, ge);
    let label = g.label;
    if (profile && profile[g.id] !== undefined) {
      rect.setAttribute("fill", shade(profile[g.id] / stepTime));
      label += `  ${fmtTime(profile[g.id])} (${(100 * profile[g.id] / stepTime).toFixed(1)}%)`;
    }
    const header = el("g", { class: "header" }, ge);
    el("rect", { x: box[0], y: box[1], width: box[2], height: 16, fill: "transparent" }, header);
    const text = el("text", { x: box[0] + 6, y: box[1] + 12, fill: stroke, "font-size": 10 }, header);
    const toggle = el("tspan", { class: "toggle" }, text);
    toggle.textContent = "[-] ";
    const tl = el("tspan", {}, text);
    tl.textContent = label;
    const title = el("title", {}, ge);
    title.textContent = g.label + " (click the header to collapse or expand)";
    header.addEventListener("click", ev => { ev.stopPropagation(); toggleGroup(g.id); });
    rect.addEventListener("dblclick", ev => {
      if (collapsed.has(g.id)) { ev.stopPropagation(); toggleGroup(g.id); }
    });
    groupEls.set(g.id, { g: ge, rect, toggle, box });
  }

  for (const n of model.nodes) {
    const b = lay.nodes[n.id];
    const [fill, stroke] = n.kind === "eqn" ? style.side[n.side] : style.kind[n.kind];
    const ge = el("g", { class: `node ${n.kind} ${n.side}`, id: "n-" + n.id, "data-node": n.id },
                  nodeLayer);
    if (n.source) ge.setAttribute("data-line", n.source);
    const [x, y, w, h] = b;
    let fillNow = fill;
    if (profile && profile[n.id] !== undefined) fillNow = shade(profile[n.id] / stepTime);
    if (n.kind === "input" || n.kind === "variable") {
      el("ellipse", { cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2, fill: fillNow, stroke }, ge);
      if (n.kind === "variable")
        el("ellipse", { cx: x + w / 2, cy: y + h / 2, rx: w / 2 - 3, ry: h / 2 - 3, fill: "none", stroke }, ge);
    } else if (n.kind === "update" || n.kind === "guard") {
      const s = Math.min(12, w / 6);
      const pts = n.kind === "update"
        ? [[x + s, y], [x + w, y], [x + w - s, y + h], [x, y + h]]
        : [[x + s, y], [x + w - s, y], [x + w, y + h / 2], [x + w - s, y + h], [x + s, y + h], [x, y + h / 2]];
      el("polygon", { points: pts.map(p => p.join(",")).join(" "), fill: fillNow, stroke }, ge);
    } else {
      el("rect", { x, y, width: w, height: h, rx: 5, fill: fillNow, stroke,
                   "stroke-width": n.kind === "output" ? 2.5 : 1.2 }, ge);
    }
    const t1 = el("text", { x: x + w / 2, y: y + 14, "text-anchor": "middle", "font-weight": "bold",
                            "font-size": 11, "font-family": style.font }, ge);
    t1.textContent = n.op;
    const t2 = el("text", { x: x + w / 2, y: y + 27, "text-anchor": "middle", "font-size": 10,
                            "font-family": style.font, fill: "#334155" }, ge);
    t2.textContent = n.type;
    const title = el("title", {}, ge);
    title.textContent = [n.text || n.op + ": " + n.type, n.source ? "line " + n.source : "",
                         n.adjoint_of || ""].filter(Boolean).join("\n");
    ge.addEventListener("click", ev => { ev.stopPropagation(); select(n.id); });
    nodeEls.set(n.id, ge);
  }

  const edgeEls = model.edges.map(([a, b]) => {
    const p = el("path", { class: "edge", fill: "none", stroke: style.edge, "stroke-width": 1,
                           "marker-end": "url(#arrow)", "data-from": a, "data-to": b }, edgeLayer);
    return { a, b, p };
  });
  const edgesOf = new Map(model.nodes.map(n => [n.id, []]));
  edgeEls.forEach(e => { edgesOf.get(e.a).push(e); edgesOf.get(e.b).push(e); });

  // ---- visibility: collapsed groups and the forward/adjoint filter ----------------------
  function outermostCollapsed(id) {
    let found = null;
    for (const g of chain.get(id)) if (collapsed.has(g)) found = g;
    return found;
  }
  function sideVisible(n) {
    if (side === "both" || n.kind !== "eqn") return true;
    return side === "forward" ? n.side === "forward" : n.side !== "forward";
  }
  // Where an edge ends: the node, or the box of its outermost collapsed group.
  function anchor(id) {
    const g = outermostCollapsed(id);
    if (g) { const b = lay.groups[g]; return { g, x: b[0] + b[2] / 2, top: b[1], bottom: b[1] + b[3] }; }
    const b = lay.nodes[id];
    return { g: null, x: b[0] + b[2] / 2, top: b[1], bottom: b[1] + b[3] };
  }
  function drawEdge(e) {
    const na = nodes.get(e.a), nb = nodes.get(e.b);
    const s = anchor(e.a), t = anchor(e.b);
    if (!sideVisible(na) || !sideVisible(nb) || (s.g && s.g === t.g)) {
      e.p.classList.add("hidden");
      return;
    }
    e.p.classList.remove("hidden");
    const y0 = s.bottom, y1 = t.top, dy = Math.max(20, (y1 - y0) / 2);
    e.p.setAttribute("d", `M${s.x},${y0} C${s.x},${y0 + dy} ${t.x},${y1 - dy} ${t.x},${y1}`);
  }
  function refreshNodes(ids) {
    for (const id of ids) {
      const hide = outermostCollapsed(id) !== null || !sideVisible(nodes.get(id));
      nodeEls.get(id).classList.toggle("hidden", hide);
    }
  }
  function refreshGroup(gid) {
    const ge = groupEls.get(gid);
    if (!ge) return;
    const g = groups.get(gid);
    let hiddenByParent = false;
    for (let p = g.parent; p; p = groups.get(p).parent) if (collapsed.has(p)) hiddenByParent = true;
    ge.g.classList.toggle("hidden", hiddenByParent);
    ge.g.classList.toggle("collapsed", collapsed.has(gid));
    ge.toggle.textContent = collapsed.has(gid) ? "[+] " : "[-] ";
    const n = allMembers.get(gid).length;
    ge.g.querySelector("title").textContent = `${g.label}: ${n} node(s)` +
      (collapsed.has(gid) ? " (collapsed: click the header to expand)" : "");
  }
  function refreshAll() {
    refreshNodes(nodes.keys());
    for (const gid of groups.keys()) refreshGroup(gid);
    edgeEls.forEach(drawEdge);
  }
  function toggleGroup(gid, want) {
    const now = collapsed.has(gid);
    const next = want === undefined ? !now : want;
    if (next === now) return;
    if (next) collapsed.add(gid); else collapsed.delete(gid);
    const members = allMembers.get(gid);
    refreshNodes(members);
    for (const g of groups.keys()) refreshGroup(g);
    const seen = new Set();
    for (const id of members) for (const e of edgesOf.get(id)) if (!seen.has(e)) { seen.add(e); drawEdge(e); }
  }
  function setSide(s) {
    side = s;
    document.querySelectorAll("input[name=side]").forEach(r => { r.checked = r.value === s; });
    refreshNodes(nodes.keys());
    edgeEls.forEach(drawEdge);
  }

  // ---- pan and zoom ----------------------------------------------------------------------
  const canvas = document.getElementById("canvas");
  let view = { x: 0, y: 0, k: 1 };
  function apply() { viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`); }
  function fit() {
    const r = canvas.getBoundingClientRect();
    // The whole graph when it is legible so; else the full width, from the top.
    const k = Math.min(r.width / lay.width, 1.2, Math.max(r.height / lay.height, 0.6));
    view = { k, x: (r.width - lay.width * k) / 2, y: Math.max(0, (r.height - lay.height * k) / 2) };
    if (lay.height * k < r.height * 0.2) view.y = 10;
    apply();
  }
  function centreOn(box) {
    const r = canvas.getBoundingClientRect();
    view.k = Math.max(view.k, 0.8);
    view.x = r.width / 2 - (box[0] + box[2] / 2) * view.k;
    view.y = r.height / 2 - (box[1] + box[3] / 2) * view.k;
    apply();
  }
  canvas.addEventListener("wheel", ev => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    const mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const f = Math.exp(-ev.deltaY * 0.0015);
    const k = Math.max(0.02, Math.min(8, view.k * f));
    view.x = mx - (mx - view.x) * (k / view.k);
    view.y = my - (my - view.y) * (k / view.k);
    view.k = k;
    apply();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener("mousedown", ev => { drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false }; canvas.classList.add("dragging"); });
  window.addEventListener("mousemove", ev => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.vx + dx; view.y = drag.vy + dy; apply();
  });
  window.addEventListener("mouseup", () => { drag = null; canvas.classList.remove("dragging"); });

  // ---- search ----------------------------------------------------------------------------
  const countEl = document.getElementById("count");
  function search(query) {
    for (const id of matches) nodeEls.get(id).classList.remove("match");
    matches = []; matchIndex = -1;
    const q = query.trim().toLowerCase();
    if (!q) { countEl.textContent = ""; return []; }
    for (const n of model.nodes) {
      const line = (n.source || "").toLowerCase();
      const hit = n.op.toLowerCase() === q || line === q || line.endsWith(q) ||
        (q.includes(":") && line.includes(q)) || (n.text || "").toLowerCase().includes(q) ||
        (n.adjoint_of || "").toLowerCase().includes(q);
      if (hit) matches.push(n.id);
    }
    // Open every group a match is in, and show both sides if a match is hidden, then
    // redraw once (one redraw per match made a search of thousands of matches take seconds).
    let reveal = false;
    for (const id of matches) {
      nodeEls.get(id).classList.add("match");
      for (const g of chain.get(id)) if (collapsed.delete(g)) reveal = true;
      if (!sideVisible(nodes.get(id))) { side = "both"; reveal = true; }
    }
    if (reveal) {
      document.querySelectorAll("input[name=side]").forEach(r => { r.checked = r.value === side; });
      refreshAll();
    }
    countEl.textContent = matches.length ? `${matches.length} found` : "none found";
    if (matches.length) next();
    return matches.slice();
  }
  function next() {
    if (!matches.length) return;
    matchIndex = (matchIndex + 1) % matches.length;
    const id = matches[matchIndex];
    centreOn(lay.nodes[id]);
    select(id);
  }

  // ---- side panel ------------------------------------------------------------------------
  const panel = document.getElementById("panel");
  function esc(s) { return String(s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
  function kernelOf(n) {
    for (const g of chain.get(n.id)) if (groups.get(g).kind === "kernel") return g;
    return null;
  }
  function select(id) {
    if (selected) nodeEls.get(selected).classList.remove("selected");
    selected = id;
    const n = nodes.get(id);
    nodeEls.get(id).classList.add("selected");
    const rows = [["kind", n.kind + (n.kind === "eqn" ? ` (${n.side})` : "")], ["op", n.op],
                  ["shape", "[" + n.shape.join(", ") + "]"], ["dtype", n.dtype]];
    if (n.source) rows.push(["user line", n.source]);
    if (n.adjoint_of) rows.push(["differentiates", n.adjoint_of]);
    for (const k in n.params) rows.push([k, n.params[k]]);
    const k = kernelOf(n);
    if (k) rows.push(["kernel", groups.get(k).label]);
    const t = profile && (profile[k] !== undefined ? profile[k] : profile[id]);
    if (t !== undefined && t !== null) rows.push(["time", `${fmtTime(t)} per step (${(100 * t / stepTime).toFixed(1)}%)`]);
    let html = `<h2>${esc(n.op)} <small>${esc(n.type)}</small></h2><table>` +
      rows.map(([a, b]) => `<tr><td>${esc(a)}</td><td>${esc(b)}</td></tr>`).join("") + "</table>";
    if (n.text) html += `<h3>IR</h3><pre>${esc(n.text)}</pre>`;
    const code = DATA.sources && (DATA.sources[k] || DATA.sources[id]);
    if (code) html += `<h3>generated code of its kernel</h3><pre id="kernel-code">${esc(code)}</pre>`;
    panel.innerHTML = html;
  }

  // ---- controls --------------------------------------------------------------------------
  const input = document.getElementById("search");
  input.addEventListener("keydown", ev => {
    if (ev.key === "Enter") { ev.preventDefault(); if (matches.length && input.value === input.dataset.last) next(); else { input.dataset.last = input.value; search(input.value); } }
  });
  document.querySelectorAll("input[name=side]").forEach(r => r.addEventListener("change", () => setSide(r.value)));
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("collapse-all").addEventListener("click", () => {
    for (const g of model.groups) if (!g.parent) collapsed.add(g.id);
    refreshAll();
  });
  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); refreshAll(); });

  if (DATA.collapsed) for (const g of model.groups) if (!g.parent) collapsed.add(g.id);
  refreshAll();
  fit();
  window.tapeflowViewer = {
    search, next, select, fit, setSide,
    collapse: gid => toggleGroup(gid, true), expand: gid => toggleGroup(gid, false),
    isCollapsed: gid => collapsed.has(gid),
    isVisible: id => !nodeEls.get(id).classList.contains("hidden"),
    matches: () => matches.slice(), selected: () => selected,
    nodeCount: () => model.nodes.length, groupIds: () => model.groups.map(g => g.id),
    members: gid => allMembers.get(gid).slice(), ready: true,
  };
})();
