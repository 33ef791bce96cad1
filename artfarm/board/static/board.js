// artfarm review board: review actions, drawing inpaint fixes, live status. Plain JavaScript.
"use strict";

const TOKEN = document.querySelector('meta[name="artfarm-token"]').content;
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Artfarm-Token": TOKEN },
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = { problems: [response.statusText] }; }
  return { status: response.status, data };
}

function typing(event) {
  const t = event.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
}

// ------------------------------------------------------------------ live status (both views)

function showStatus(status) {
  // pages and the bible's rendered items, each by its subject name ("7", "sheet:bear")
  for (const page of status.pages.concat(status.bible || [])) {
    for (const badge of $$(`[data-state-of="${page.subject}"]`)) {
      badge.className = `state ${page.kind}`;
      badge.textContent = page.label;
    }
    for (const el of $$(`[data-progress-of="${page.subject}"]`)) {
      el.textContent = page.progress.map((p) => `${p.log}: ${p.line}`).join(" ");
    }
    for (const el of $$(`[data-detail-of="${page.subject}"]`)) {
      el.textContent = page.kind === "failed" || page.kind === "stale" ? page.detail : "";
    }
  }
  const build = status.build;
  const state = $("#build-state");
  if (state) {
    state.textContent = build.outcome;
    $("#start-build").disabled = build.running;
    const log = $("#build-log");
    log.hidden = build.tail.length === 0;
    log.textContent = build.tail.join("\n");
    log.scrollTop = log.scrollHeight;
  }
}

async function poll() {
  try {
    const response = await fetch("/api/status", { credentials: "same-origin" });
    if (response.ok) showStatus(await response.json());
  } catch (e) { /* the board stopped; keep the page as it is */ }
  setTimeout(poll, 1500);
}

// ------------------------------------------------------------------ book view

function bookView() {
  const button = $("#start-build");
  button.addEventListener("click", async () => {
    button.disabled = true;
    const { status, data } = await post("/api/build");
    if (status !== 200) $("#build-state").textContent = data.error || "could not start the build";
    else showStatus({ pages: [], build: data.build });
  });
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "n") {
      const next = $('.tile[data-waiting="yes"]') || $(".tile[data-page]");
      if (next) next.click();
    }
  });
}

// ------------------------------------------------------------------ page view: selection

const DATA = () => JSON.parse($("#page-data").textContent);
let etag = null;
let focused = null; // the candidate figure keys act on

function message(kind, lines, extra) {
  const box = $("#message");
  box.hidden = false;
  box.className = kind;
  box.replaceChildren();
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    box.appendChild(p);
  }
  if (extra) box.appendChild(extra);
}

function activeForm() {
  const wanted = DATA().active === "refine" ? "#refine-form" : "#draft-form";
  return $(wanted) || $("#draft-form") || $("#refine-form");
}

function focusCandidate(figure) {
  if (!figure) return;
  $$(".candidate.focused").forEach((f) => f.classList.remove("focused"));
  figure.classList.add("focused");
  figure.focus({ preventScroll: false });
  focused = figure;
}

function toggleSelect(form, figure) {
  const button = $(".select", figure);
  const on = button.getAttribute("aria-pressed") !== "true";
  if (form.dataset.stage === "refine") {
    $$(".candidate .select", form).forEach((b) => b.setAttribute("aria-pressed", "false"));
    button.setAttribute("aria-pressed", "true");
    showDrawing(figure);
  } else {
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }
  markVerdicts(form);
}

function reject(form, figure) {
  const button = $(".select", figure);
  button.setAttribute("aria-pressed", "false");
  markVerdicts(form);
  if (form.dataset.stage === "refine" && !$('.select[aria-pressed="true"]', form)) hideDrawing();
  $(".reason", figure).focus();
}

function markVerdicts(form) {
  for (const figure of $$(".candidate", form)) {
    const chosen = $(".select", figure).getAttribute("aria-pressed") === "true";
    figure.classList.toggle("chosen", chosen);
    figure.classList.toggle("rejected", !chosen && $(".reason", figure).value.trim() !== "");
  }
}

function collect(form) {
  const rest = $(".rest", form).value.trim();
  const chosen = [];
  const rejected = {};
  for (const figure of $$(".candidate", form)) {
    const id = figure.dataset.id;
    if ($(".select", figure).getAttribute("aria-pressed") === "true") { chosen.push(id); continue; }
    const reason = $(".reason", figure).value.trim() || rest;
    if (reason) rejected[id] = reason;
  }
  const body = { etag, rejected, rationale: $(".rationale", form).value.trim() };
  if (form.dataset.stage === "draft") body.selected = chosen;
  else {
    body.final = chosen[0] || "";
    if ($(".draw", form)) body.fixes = fixes.map(asFix); // a sheet's form offers no fixes
  }
  return body;
}

async function save(form, overrideEtag) {
  const body = collect(form);
  if (overrideEtag) body.etag = overrideEtag;
  const stage = form.dataset.stage;
  const { status, data } = await post(`/api/page/${DATA().page}/${stage}`, body);
  if (status === 200) {
    etag = data.etag;
    window.location.assign(`${window.location.pathname}?saved=${stage}`);
  } else if (status === 409) {
    const button = document.createElement("button");
    button.type = "button";
    button.id = "replace";
    button.textContent = "Replace it with mine";
    button.addEventListener("click", () => save(form, data.etag));
    message("conflict", [data.conflict], button);
  } else {
    message("problems", data.problems || [data.error || `refused (${status})`]);
  }
}

// ------------------------------------------------------------------ page view: drawing fixes

let fixes = []; // {kind: "box", x, y, width, height, prompt} | {kind: "polygon", points, prompt}
let tool = "box";
let pending = null; // the shape being drawn, in image pixels

function asFix(fix) {
  const mask = fix.kind === "box"
    ? { kind: "box", x: fix.x, y: fix.y, width: fix.width, height: fix.height }
    : fix.kind === "polygon" ? { kind: "polygon", points: fix.points }
    : { kind: "image", path: fix.path };
  const out = { mask, prompt: fix.prompt };
  if (fix.denoise != null) out.denoise = fix.denoise;
  return out;
}

function fromFix(f) {
  // a mask image (written by the agent) cannot be drawn here: it is listed and kept as it is
  const m = f.mask;
  const shape = m.kind === "box" ? { kind: "box", x: m.x, y: m.y, width: m.width, height: m.height }
    : m.kind === "polygon" ? { kind: "polygon", points: m.points }
    : { kind: "image", path: m.path };
  return { ...shape, prompt: f.prompt, denoise: f.denoise };
}

function canvas() { return $("#fix-canvas"); }

function imagePoint(event) {
  const c = canvas();
  const rect = c.getBoundingClientRect();
  const x = Math.round(((event.clientX - rect.left) / rect.width) * c.width);
  const y = Math.round(((event.clientY - rect.top) / rect.height) * c.height);
  return [Math.max(0, Math.min(c.width, x)), Math.max(0, Math.min(c.height, y))];
}

function showDrawing(figure) {
  const draw = $(".draw");
  if (!draw || !figure) return;
  draw.hidden = false;
  const img = $("img.drawn", draw);
  img.src = figure.dataset.src;
  canvas().width = Number(figure.dataset.width);
  canvas().height = Number(figure.dataset.height);
  // sized before the image loads, so drawing can start at once
  $(".canvas-wrap", draw).style.aspectRatio = `${figure.dataset.width} / ${figure.dataset.height}`;
  redraw();
}

function hideDrawing() {
  const draw = $(".draw");
  if (draw) draw.hidden = true;
}

function redraw() {
  const c = canvas();
  if (!c) return;
  const g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  g.lineWidth = Math.max(2, c.width / 300);
  const drawn = fixes.filter((fix) => fix.kind !== "image");
  const shapes = pending ? drawn.concat([pending]) : drawn;
  shapes.forEach((fix) => {
    g.strokeStyle = fix === pending ? "#ff9800" : "#e91e63";
    g.fillStyle = "rgba(233, 30, 99, 0.18)";
    g.beginPath();
    if (fix.kind === "box") g.rect(fix.x, fix.y, fix.width, fix.height);
    else fix.points.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y)));
    if (fix.kind === "polygon" && fix !== pending) g.closePath();
    g.fill();
    g.stroke();
    if (fix !== pending) {
      const [x, y] = fix.kind === "box" ? [fix.x, fix.y] : fix.points[0];
      g.fillStyle = "#e91e63";
      g.font = `${Math.max(14, c.width / 40)}px sans-serif`;
      g.fillText(String(fixes.indexOf(fix) + 1), x + 4, y + Math.max(14, c.width / 40));
    }
  });
}

function listFixes() {
  const list = $(".fixes");
  if (!list) return;
  list.replaceChildren();
  fixes.forEach((fix, i) => {
    const item = document.createElement("li");
    const where = fix.kind === "box" ? `box ${fix.x},${fix.y} ${fix.width}×${fix.height}`
      : fix.kind === "polygon" ? `polygon of ${fix.points.length} points`
      : `mask image ${fix.path}`;
    const label = document.createElement("span");
    label.textContent = `${where}: `;
    const prompt = document.createElement("input");
    prompt.type = "text";
    prompt.className = "fix-prompt";
    prompt.placeholder = "what this area should show";
    prompt.setAttribute("aria-label", `prompt for fix ${i + 1}`);
    prompt.value = fix.prompt || "";
    prompt.addEventListener("input", () => { fix.prompt = prompt.value; });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "remove";
    remove.addEventListener("click", () => { fixes.splice(i, 1); listFixes(); redraw(); });
    item.append(label, prompt, remove);
    list.appendChild(item);
  });
}

function addFix(fix) {
  fixes.push(fix);
  pending = null;
  listFixes();
  redraw();
  const prompts = $$(".fix-prompt");
  prompts[prompts.length - 1].focus();
}

function closePolygon() {
  if (pending && pending.kind === "polygon" && pending.points.length >= 3) addFix(pending);
}

function drawingEvents() {
  const c = canvas();
  if (!c) return;
  let start = null;
  c.addEventListener("mousedown", (event) => {
    if (tool !== "box") return;
    start = imagePoint(event);
    pending = { kind: "box", x: start[0], y: start[1], width: 0, height: 0, prompt: "" };
  });
  // the drag may leave the canvas: follow it on the window until the button is released
  window.addEventListener("mousemove", (event) => {
    if (tool !== "box" || !start) return;
    const [x, y] = imagePoint(event);
    pending = { kind: "box", x: Math.min(x, start[0]), y: Math.min(y, start[1]),
      width: Math.abs(x - start[0]), height: Math.abs(y - start[1]), prompt: "" };
    redraw();
  });
  window.addEventListener("mouseup", () => {
    if (tool !== "box" || !start) return;
    start = null;
    if (pending && pending.width >= 2 && pending.height >= 2) addFix(pending);
    else { pending = null; redraw(); }
  });
  c.addEventListener("click", (event) => {
    if (tool !== "polygon") return;
    if (!pending) pending = { kind: "polygon", points: [], prompt: "" };
    pending.points.push(imagePoint(event));
    redraw();
  });
  c.addEventListener("dblclick", () => {
    if (tool !== "polygon" || !pending) return;
    pending.points.pop(); // the double-click's second click repeats the last point
    closePolygon();
  });
  for (const button of $$(".tool")) {
    button.addEventListener("click", () => {
      tool = button.dataset.tool;
      pending = null;
      $$(".tool").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      redraw();
    });
  }
}

// ------------------------------------------------------------------ page view: wiring

function pageView() {
  const data = DATA();
  etag = data.etag;
  fixes = (data.fixes || []).map(fromFix);
  const saved = new URLSearchParams(window.location.search).get("saved");
  if (saved) message("saved", [saved === "draft" ? "Saved the draft review." : "Saved the final pick."]);
  for (const form of $$(".review")) {
    for (const figure of $$(".candidate", form)) {
      $(".select", figure).addEventListener("click", () => { focusCandidate(figure); toggleSelect(form, figure); });
      $(".reason", figure).addEventListener("input", () => markVerdicts(form));
    }
    $(".save", form).addEventListener("click", () => save(form));
    markVerdicts(form);
  }
  drawingEvents();
  const final = $('#refine-form .select[aria-pressed="true"]');
  if (final) showDrawing(final.closest(".candidate"));
  listFixes();
  document.addEventListener("keydown", (event) => pageKey(event, data));
}

function pageKey(event, data) {
  const form = activeForm();
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (form) save(form);
    return;
  }
  if (event.key === "Escape") { document.activeElement.blur(); pending = null; redraw(); return; }
  if (event.key === "Enter" && !typing(event)) { closePolygon(); return; }
  if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
  const go = (page) => { if (page) window.location.assign(`/page/${page}`); };
  if (event.key === "n") go(data.next);
  else if (event.key === "p") go(data.prev);
  else if (event.key === "b") window.location.assign("/");
  else if (!form) return;
  else if (/^[1-9]$/.test(event.key)) focusCandidate($$(".candidate", form)[Number(event.key) - 1]);
  else if (event.key === "s" && focused) toggleSelect(focused.closest(".review"), focused);
  else if (event.key === "x" && focused) { event.preventDefault(); reject(focused.closest(".review"), focused); }
  else if (event.key === "r") { event.preventDefault(); $(".rationale", form).focus(); }
}

document.addEventListener("DOMContentLoaded", () => {
  const view = document.body.dataset.view;
  if (view === "book") bookView();
  if (view === "page") pageView();
  document.body.dataset.ready = "yes"; // keys and clicks work from here on
  poll();
});
