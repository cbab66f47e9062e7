// imgdiff's HTML report: draws the data in #data with d3-hierarchy's
// squarified treemap. No framework, no network: plain DOM and SVG.
"use strict";
const started = performance.now();

const data = JSON.parse(document.getElementById("data").textContent);
const app = document.getElementById("app");
const tip = document.getElementById("tip");
const SVG = "http://www.w3.org/2000/svg";

const CATEGORY_COLOURS = {
  "build-tool": "#e15759", "source": "#f28e2b", "dev-dependency": "#b07aa1",
  "cache": "#9c755f", "vcs": "#ff9da7", "secret": "#edc948", "docs": "#76b7b2",
  "recommended": "#d4a6c8", "base image": "#bab0ac",
  "other": "#a0b4c8", "hidden": "#6b6b6b",
};

// ---- helpers ---------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, c => "&#" + c.charCodeAt(0) + ";");
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// SI units, as the other reports print them (1 MB = 1,000,000 bytes).
function human(n) {
  const sign = n < 0 ? "−" : "";
  let v = Math.abs(n);
  const units = ["B", "kB", "MB", "GB", "TB"];
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return sign + (u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + " " + units[u];
}

function exact(n) { return n.toLocaleString("en-US") + " bytes"; }

function stepColour(i) { return i < 0 ? "#cccccc" : `hsl(${(i * 137.508) % 360}, 55%, 62%)`; }

function stepLabel(steps, i) {
  const s = steps[i];
  if (!s) return "(no step)";
  return `#${i} ${s.instruction}` + (s.line ? ` (${s.line})` : "");
}

function section(title, ...body) {
  return el("section", {}, el("h2", {}, title), ...body);
}

function header(title, facts) {
  return el("header", {}, el("h1", {}, title), el("p", { class: "facts" }, facts.join(" · ")));
}

function imageFacts(img) {
  const f = [img.platform, "content " + human(img.size) + " (" + exact(img.size) + ")"];
  if (img.compressedSize >= 0) f.push("compressed " + human(img.compressedSize));
  f.push(img.files.toLocaleString("en-US") + " files", img.layers + " layers");
  if (img.wasted > 0) f.push(human(img.wasted) + " hidden by later layers");
  return f;
}

// ---- the treemap -------------------------------------------------------

// Treemap draws tree (nested {n, k} directories and {n, s, c, t, e, m}
// leaves) in a box: area = bytes, click a directory to zoom in, the
// breadcrumb to zoom out, colour by category or by step.
function Treemap(container, tree, steps, id, empty) {
  if (!tree.k || !tree.k.length) {
    container.append(el("p", { class: "empty", id: id + "-empty" }, empty || "No bytes."));
    return;
  }
  const stack = [tree];
  let colourBy = "category";
  const crumbs = el("nav", { class: "crumbs", id: id + "-crumbs" });
  const svg = svgEl("svg", { id: id, class: "treemap" });
  const legend = el("div", { class: "legend", id: id + "-legend" });
  const switcher = el("div", { class: "switch" }, "colour by ");
  for (const mode of ["category", "instruction"]) {
    const b = el("button", { type: "button", "data-mode": mode, id: id + "-by-" + mode }, mode);
    b.addEventListener("click", () => { colourBy = mode; render(); });
    switcher.append(b);
  }
  container.append(el("div", { class: "toolbar" }, crumbs, switcher), svg, legend);
  let drawn = [];

  function colour(d) {
    return colourBy === "category" ? CATEGORY_COLOURS[data.categories[d.c]] : stepColour(d.t);
  }

  function pathOf(node) {
    const names = stack.slice(1).map(d => d.n);
    for (const a of node.ancestors().reverse().slice(1)) names.push(a.data.n);
    return "/" + names.join("/");
  }

  function render() {
    const focus = stack[stack.length - 1];
    const W = Math.max(320, container.clientWidth), H = Math.round(Math.min(640, Math.max(360, W * 0.5)));
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const root = d3.hierarchy(focus, d => d.k).sum(d => (d.k ? 0 : d.s)).sort((a, b) => b.value - a.value);
    d3.treemap().tile(d3.treemapSquarify).size([W, H])(root);
    // One string of markup for thousands of rectangles: the browser's
    // parser builds them faster than as many createElementNS calls.
    drawn = [];
    const out = [];
    for (const d of root.leaves()) {
      const w = d.x1 - d.x0, h = d.y1 - d.y0;
      if (!d.value || w * h < 0.25) continue;
      out.push(`<rect class="leaf" x="${d.x0}" y="${d.y0}" width="${w}" height="${h}" fill="${colour(d.data)}" ` +
        `data-i="${drawn.length}" data-cat="${data.categories[d.data.c]}" data-step="${d.data.t}"/>`);
      drawn.push(d);
    }
    // Names: big files at their bottom-left corner, then the outlines of
    // the directories two levels down with their names at the top-left.
    for (const d of drawn) {
      const w = d.x1 - d.x0, h = d.y1 - d.y0;
      if (w > 70 && h > 34) out.push(label(d.x0 + 4, d.y1 - 6, fit(d.data.n + " " + human(d.value), w - 8), "label leafname"));
    }
    for (const d of root.descendants()) {
      if (d.depth < 1 || d.depth > 2 || !d.data.k || !d.value) continue;
      const w = d.x1 - d.x0, h = d.y1 - d.y0;
      out.push(`<rect class="dir depth${d.depth}" x="${d.x0}" y="${d.y0}" width="${w}" height="${h}"/>`);
      if (w > 48 && h > 16) {
        const y = d.y0 + (d.depth === 1 ? 13 : 26);
        out.push(label(d.x0 + 4, y, fit(d.data.n + "/ " + human(d.value), w - 8), "label depth" + d.depth));
      }
    }
    svg.innerHTML = out.join("");
    drawCrumbs(root.value);
    drawLegend(root);
    for (const b of container.querySelectorAll(".switch button")) b.classList.toggle("on", b.dataset.mode === colourBy);
  }

  function label(x, y, s, cls) {
    return `<text x="${x}" y="${y}" class="${cls}">${escapeHTML(s)}</text>`;
  }

  function fit(s, px) {
    const n = Math.floor(px / 6.5);
    return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)) + "…";
  }

  function drawCrumbs(total) {
    crumbs.replaceChildren();
    stack.forEach((d, i) => {
      const b = el("button", { type: "button" }, i === 0 ? "/" : d.n);
      b.addEventListener("click", () => { stack.length = i + 1; render(); });
      crumbs.append(b);
      if (i < stack.length - 1) crumbs.append(" › ");
    });
    crumbs.append(el("span", { class: "total" }, " " + human(total)));
  }

  function drawLegend(root) {
    const sums = new Map();
    for (const d of root.leaves()) {
      const key = colourBy === "category" ? d.data.c : d.data.t;
      sums.set(key, (sums.get(key) || 0) + (d.value || 0));
    }
    legend.replaceChildren();
    const keys = [...sums.keys()].sort((a, b) => sums.get(b) - sums.get(a));
    for (const k of keys) {
      const name = colourBy === "category" ? data.categories[k] : stepLabel(steps, k);
      const sw = el("span", { class: "sw" });
      sw.style.background = colourBy === "category" ? CATEGORY_COLOURS[data.categories[k]] : stepColour(k);
      legend.append(el("span", { class: "item", title: name }, sw, name + " " + human(sums.get(k))));
    }
  }

  svg.addEventListener("click", ev => {
    const i = ev.target.dataset && ev.target.dataset.i;
    if (i === undefined) return;
    let d = drawn[+i];
    while (d.depth > 1) d = d.parent;
    if (d.data.k) { stack.push(d.data); hideTip(); render(); }
  });
  svg.addEventListener("mousemove", ev => {
    const i = ev.target.dataset && ev.target.dataset.i;
    if (i === undefined) { hideTip(); return; }
    const d = drawn[+i], x = d.data;
    const lines = [
      [pathOf(d), "path"],
      [human(x.s) + " (" + exact(x.s) + ")" + (x.m ? ` in ${x.m} files` : ""), "size"],
      ["category: " + data.categories[x.c], "cat"],
    ];
    if (x.e !== undefined) lines.push(["evidence: " + data.evidence[x.e], "evidence"]);
    lines.push(["written by " + stepLabel(steps, x.t), "step"]);
    showTip(ev, lines);
  });
  svg.addEventListener("mouseleave", hideTip);
  window.addEventListener("resize", render);
  render();
}

function showTip(ev, lines) {
  tip.replaceChildren(...lines.map(([t, c]) => el("div", { class: c }, t)));
  tip.hidden = false;
  const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const y = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
  tip.style.left = x + "px";
  tip.style.top = y + "px";
}

function hideTip() { tip.hidden = true; }

// ---- shared sections --------------------------------------------------

function stepBars(steps, totals) {
  const rows = steps.filter(s => s.layer >= 0);
  const max = Math.max(1, ...rows.map(s => Math.max(s.size, s.compressed)));
  const table = el("table", { class: "bars" },
    el("tr", {}, el("th", {}, "step"), el("th", {}, "instruction"), el("th", {}, "content / compressed"),
      el("th", { class: "num" }, "content"), el("th", { class: "num" }, "compressed"), el("th", { class: "num" }, "flagged")));
  for (const s of rows) {
    const bar = el("div", { class: "bar content", title: "content " + exact(s.size) });
    bar.style.width = (100 * s.size / max) + "%";
    let flagged = 0;
    for (const [cat, n] of Object.entries(s.flagged || {})) {
      const seg = el("div", { class: "seg", title: cat + " " + human(n), "data-cat": cat });
      seg.style.width = (100 * n / Math.max(1, s.size)) + "%";
      seg.style.background = CATEGORY_COLOURS[cat];
      bar.append(seg);
      flagged += n;
    }
    const cbar = el("div", { class: "bar compressed", title: s.compressed >= 0 ? "compressed " + exact(s.compressed) : "compressed size unknown" });
    cbar.style.width = (s.compressed >= 0 ? 100 * s.compressed / max : 0) + "%";
    const instr = el("td", { class: "instr", title: s.instruction }, s.instruction + (s.line ? ` — ${s.line}` : ""));
    const flags = Object.entries(s.flagged || {}).map(([c, n]) => c + " " + human(n)).join(", ");
    table.append(el("tr", {}, el("td", {}, "#" + s.i), instr, el("td", { class: "barcell" }, bar, cbar),
      el("td", { class: "num" }, human(s.size)), el("td", { class: "num" }, s.compressed >= 0 ? human(s.compressed) : "?"),
      el("td", { class: "num", title: flags }, flagged ? human(flagged) : "")));
  }
  return table;
}

function findingsList(findings, steps) {
  if (!findings || !findings.length) return el("p", {}, "No findings.");
  const ul = el("ul", { class: "findings" });
  for (const f of findings) {
    const where = [];
    if (f.step >= 0) where.push(stepLabel(steps, f.step));
    if (f.field) where.push(f.field);
    if (f.path) where.push("/" + f.path);
    if (f.bytes) where.push(human(f.bytes));
    ul.append(el("li", { class: f.severity }, el("b", {}, f.severity + " " + f.id), " " + f.title +
      (f.detail ? ": " + f.detail : "") + (where.length ? " — " + where.join(", ") : "")));
  }
  return ul;
}

function budgetTable(b) {
  if (!b || !b.checks || !b.checks.length) return null;
  const fmt = (unit, v) => unit === "bytes" ? human(v) : unit === "percent" ? v.toFixed(1) + "%" : String(v);
  const t = el("table", { class: "budgets" }, el("tr", {}, el("th", {}, ""), el("th", {}, "rule"), el("th", {}, "image"),
    el("th", { class: "num" }, "actual"), el("th", { class: "num" }, "limit"), el("th", {}, "")));
  for (const c of b.checks) {
    t.append(el("tr", { class: c.pass ? "pass" : "fail" }, el("td", {}, c.pass ? "PASS" : "FAIL"), el("td", {}, c.rule),
      el("td", {}, c.image || ""), el("td", { class: "num" }, fmt(c.unit, c.actual)), el("td", { class: "num" }, fmt(c.unit, c.limit)),
      el("td", {}, c.detail || "")));
  }
  return section("Budgets" + (b.source ? " (" + b.source + ")" : "") + (b.pass ? ": pass" : ": FAIL"), t);
}

// baseText says what an image's base is and where it was found, in the
// text report's words.
function baseText(b) {
  if (!b) return "no base found (the history does not map to the layers)";
  let how = b.source + (b.source === "heuristic" ? " " + b.heuristic : "");
  if (b.evidence) how += ": " + b.evidence;
  if (!b.steps) return b.source === "none" || !b.source ? "none found" : "none (from " + how + ")";
  return (b.name ? b.name + ", " : "") + b.layers + (b.layers === 1 ? " layer, " : " layers, ") + human(b.size) + " (from " + how + ")";
}

// packageTable lists the flagged packages: name, manager, category,
// bytes, evidence and the packages asked for by name that pulled each in.
function packageTable(pkgs) {
  if (!pkgs || !pkgs.length) return el("p", {}, "No flagged packages.");
  const t = el("table", { class: "packages", id: "packages" }, el("tr", {}, el("th", {}, "package"), el("th", {}, "manager"),
    el("th", {}, "category"), el("th", { class: "num" }, "content"), el("th", {}, "evidence"), el("th", {}, "requested by")));
  for (const p of pkgs) {
    t.append(el("tr", { "data-bytes": p.bytes }, el("td", { class: "mono" }, p.name), el("td", {}, p.manager),
      el("td", { "data-cat": p.category }, p.category), el("td", { class: "num", title: exact(p.bytes) }, human(p.bytes)),
      el("td", {}, p.evidence || ""), el("td", {}, (p.pulledBy || []).join(", "))));
  }
  return t;
}

// dockerfileFindings lists the Dockerfile checks' findings on their lines.
function dockerfileFindings(df) {
  if (!df.findings || !df.findings.length) return el("p", {}, "No Dockerfile findings.");
  const t = el("table", { class: "df-findings", id: "df-findings" }, el("tr", {}, el("th", {}, "severity"), el("th", {}, "id"),
    el("th", {}, "Dockerfile"), el("th", { class: "num" }, "content"), el("th", {}, "message")));
  for (const f of df.findings) {
    const l = f.lines || {};
    const where = f.file + ":" + l.start + (l.end && l.end !== l.start ? "-" + l.end : "") + (f.stage ? " (" + f.stage + ")" : "");
    t.append(el("tr", { class: f.severity }, el("td", {}, f.severity), el("td", { class: "mono" }, f.id), el("td", { class: "mono" }, where),
      el("td", { class: "num" }, f.bytes ? human(f.bytes) : ""), el("td", {}, f.message)));
  }
  return t;
}

// otherGroups splits the other term by what put the bytes there.
function otherGroups(gs) {
  const t = el("table", { class: "other-groups", id: "other-groups" }, el("tr", {}, el("th", {}, "group"),
    el("th", { class: "num" }, "content"), el("th", { class: "num" }, "files")));
  for (const g of gs) {
    t.append(el("tr", { "data-bytes": g.bytes }, el("td", {}, g.name), el("td", { class: "num", title: exact(g.bytes) }, human(g.bytes)),
      el("td", { class: "num" }, g.files.toLocaleString("en-US"))));
  }
  return t;
}

function warnings(ws) {
  return ws && ws.length ? el("ul", { class: "warnings" }, ...ws.map(w => el("li", {}, w))) : "";
}

// ---- the views ----------------------------------------------------------

function analyzeView() {
  const img = data.image;
  app.append(header("imgdiff analyze " + img.ref, imageFacts(img)));
  app.append(el("p", { class: "base", id: "base" }, "Base: " + baseText(img.base)));
  if (data.verdict) app.append(el("p", { class: "verdict", id: "verdict" }, data.verdict));
  app.append(warnings(data.warnings));
  const box = el("div", { class: "tm" });
  app.append(section("Where the bytes are (area = content bytes)", box));
  Treemap(box, data.tree, data.steps, "treemap", "The final filesystem holds no bytes.");
  app.append(section("Bytes per instruction", stepBars(data.steps)));
  app.append(section("Flagged packages", packageTable(data.packages)));
  app.append(section("Findings", findingsList(data.findings, data.steps)));
  if (data.dockerfile) {
    const df = data.dockerfile;
    app.append(section(`Dockerfile findings (${df.file}, ${df.source}: ${df.mapped} of ${df.total} steps mapped)`, dockerfileFindings(df)));
  }
  const b = budgetTable(data.budgets);
  if (b) app.append(b);
}

function compareView() {
  const { a, b, decomposition: dec, delta } = data;
  app.append(header("imgdiff compare " + a.ref + " → " + b.ref,
    ["A: " + human(a.size), "B: " + human(b.size), a.platform + (a.platform === b.platform ? "" : " / " + b.platform)]));
  const terms = (dec.terms || []).map(t => t.name + " " + human(t.bytes)).join(" + ");
  const pct = delta.percent.toFixed(1);
  app.append(el("p", { class: "verdict", id: "verdict" },
    `ΔS = ${human(delta.size)} (${pct}% of A) = ${terms || "0"} − ε ${human(dec.epsilon)}`));
  app.append(warnings(data.warnings));
  const base = el("p", { class: "base", id: "base" }, `Base (from ${dec.baseSource}): ${dec.baseDetail}.`);
  if (dec.commonLayers > 0) {
    base.append(` Common base: ${dec.commonLayers} ${dec.commonLayers === 1 ? "layer" : "layers"} (${human(dec.commonSize)}) both images start with, in no term.`);
  }
  app.append(base);
  app.append(section("From size(A) to size(B)", waterfall(data.waterfall)));
  if (dec.otherGroups && dec.otherGroups.length) {
    app.append(section("The other term, by what put the bytes there (largest first)", otherGroups(dec.otherGroups)));
  }
  const saved = el("div", { class: "tm" }), added = el("div", { class: "tm" });
  app.append(section("What A carries that B does not (ΔS terms, by A's category)", saved));
  Treemap(saved, data.saved, data.stepsA, "saved", "Nothing: B carries every byte of A.");
  app.append(section("What B adds (ε, by B's category)", added));
  Treemap(added, data.added, data.stepsB, "added", "Nothing: B adds no byte that A lacks (ε = 0).");
  app.append(section("Layers", sharedLayers()));
  const bt = budgetTable(data.budgets);
  if (bt) app.append(bt);
}

// waterfall draws size(A), then each term down (ΔS terms) or up (ε
// parts), then size(B): each floating bar spans the running size before
// and after it.
function waterfall(bars) {
  const W = 900, H = 300, top = 20, bottom = 60, left = 70;
  const max = Math.max(...bars.map(b => b.kind === "total" ? b.bytes : 0), 1);
  let running = 0, peak = 0;
  const spans = bars.map(b => {
    let from, to;
    if (b.kind === "total") { from = 0; to = b.bytes; running = b.bytes; } else { from = running; to = running - b.bytes; running = to; }
    peak = Math.max(peak, from, to);
    return { b, from, to };
  });
  const scale = (H - top - bottom) / Math.max(max, peak);
  const y = v => H - bottom - v * scale;
  const svg = svgEl("svg", { id: "waterfall", width: W, height: H, viewBox: `0 0 ${W} ${H}` });
  const bw = (W - left - 10) / spans.length;
  spans.forEach(({ b, from, to }, i) => {
    const x = left + i * bw + bw * 0.15, w = bw * 0.7;
    const fill = b.kind === "total" ? "#4e79a7" : b.kind === "epsilon" ? "#59a14f" : (CATEGORY_COLOURS[b.label] || "#999");
    const r = svgEl("rect", { class: "wf " + b.kind, x, y: y(Math.max(from, to)), width: w, height: Math.max(Math.abs(to - from) * scale, 0),
      fill, "data-bytes": b.bytes, "data-kind": b.kind, "data-label": b.label });
    const t = svgEl("title", {});
    t.textContent = `${b.label}: ${b.kind === "total" ? human(b.bytes) : (b.bytes >= 0 ? "−" : "+") + human(Math.abs(b.bytes))} (${exact(Math.abs(b.bytes))})`;
    r.append(t);
    svg.append(r);
    const v = svgEl("text", { x: x + w / 2, y: y(Math.max(from, to)) - 4, class: "wfv" });
    v.textContent = b.kind === "total" ? human(b.bytes) : (b.bytes >= 0 ? "−" : "+") + human(Math.abs(b.bytes));
    svg.append(v);
    const l = svgEl("text", { x: x + w / 2, y: H - bottom + 16, class: "wfl" });
    l.textContent = b.label;
    svg.append(l);
  });
  svg.append(svgEl("line", { x1: left, x2: W - 10, y1: y(0), y2: y(0), class: "axis" }));
  return svg;
}

function sharedLayers() {
  const s = data.shared;
  const p = el("p", {}, `${s.layers} shared layers (${human(s.size)} content` +
    (s.compressedSize >= 0 ? `, ${human(s.compressedSize)} compressed` : "") + `), read once. Pulling B with A present costs ` +
    (s.pullSize >= 0 ? human(s.pullSize) + " compressed" : "an unknown compressed size") + ` (${human(s.pullContentSize)} content).`);
  const t = el("table", { class: "layers", id: "layers" }, el("tr", {}, el("th", {}, "image"), el("th", {}, "layer"),
    el("th", {}, "diffID"), el("th", { class: "num" }, "content"), el("th", { class: "num" }, "compressed"), el("th", {}, "shared"), el("th", {}, "instruction")));
  for (const l of data.layers || []) {
    t.append(el("tr", { class: l.shared ? "shared" : "" }, el("td", {}, l.side), el("td", {}, "#" + l.index),
      el("td", { class: "mono", title: l.diffID }, l.diffID.replace(/^sha256:/, "").slice(0, 12)),
      el("td", { class: "num" }, human(l.size)), el("td", { class: "num" }, l.compressed >= 0 ? human(l.compressed) : "?"),
      el("td", {}, l.shared ? "shared" : ""), el("td", { class: "instr", title: l.step }, l.step)));
  }
  return el("div", {}, p, t);
}

if (data.kind === "compare") compareView(); else analyzeView();
document.body.dataset.scriptMs = Math.round(performance.now() - started);
// Ready once the first frame is painted; drawnMs (since navigation start)
// and scriptMs (this script's own run) are what the benchmark reads.
requestAnimationFrame(() => setTimeout(() => {
  document.body.dataset.drawnMs = Math.round(performance.now());
  document.body.dataset.ready = "1";
}, 0));
