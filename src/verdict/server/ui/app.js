// Verdict console: classify and explain a review (POST /explain) and show the recent panel
// (GET /ui/history). No framework, nothing loaded from elsewhere; user text only ever goes into
// the page through textContent. The API key stays in this tab's sessionStorage.
"use strict";

const KEY = "verdict-api-key";
const $ = (id) => document.getElementById(id);
let history = null;

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem(KEY);
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function call(method, path, body) {
  const res = await fetch(path, { method, headers: headers(), body: body ? JSON.stringify(body) : undefined,
                                  cache: "no-store" });
  const json = await res.json().catch(() => ({ error: "the server sent no JSON (HTTP " + res.status + ")" }));
  if (!res.ok) throw new Error(res.status === 401 ? "API key missing or wrong: type it above" : json.error);
  return json;
}

function kind(label) {
  const l = (label || "").toLowerCase();
  if (history && history.negative_label && label === history.negative_label) return "negative";
  if (l.startsWith("neg")) return "negative";
  if (l.startsWith("pos")) return "positive";
  return "other";
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function showResult(r, text) {
  $("result").hidden = false;
  const label = $("result-label");
  label.textContent = r.label;
  label.className = "label " + kind(r.label);
  $("result-score").textContent = "score " + r.score.toFixed(4);
  const bar = $("score-bar");
  bar.className = kind(r.label);
  bar.style.setProperty("width", (100 * Math.max(0, Math.min(1, r.score))).toFixed(1) + "%");
  $("why-label").textContent = r.label;
  const words = $("words");
  words.replaceChildren();
  const max = Math.max(1e-6, ...r.words.map((w) => Math.abs(w.weight)));
  const chars = Array.from(text);  // start/stop are code point offsets
  for (const w of r.words) {
    const span = el("span", "word", chars.slice(w.start, w.stop).join(""));
    const a = Math.min(1, Math.abs(w.weight) / max) * 0.75;
    const rgb = w.weight >= 0 ? "209, 69, 59" : "53, 88, 200";
    span.style.setProperty("background-color", `rgba(${rgb}, ${a.toFixed(3)})`);
    span.title = (w.weight >= 0 ? "+" : "") + w.weight.toFixed(4);
    span.dataset.weight = String(w.weight);
    words.append(span);
  }
}

async function explain(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("explain").disabled = true;
  $("status").textContent = "checking…";
  try {
    const r = await call("POST", "/explain", { inputs: text });
    showResult(r, text);
    $("status").textContent = "";
  } catch (e) {
    $("status").textContent = e.message;
  } finally {
    $("explain").disabled = false;
  }
  refresh();
}

function when(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function item(tagText, tagKind, text, time, title) {
  const li = el("li");
  li.append(el("span", "tag " + tagKind, tagText), el("span", "text", text), el("span", "when", when(time)));
  li.title = title;
  return li;
}

function renderRecent() {
  const list = $("recent-list");
  const onlyNeg = $("negative-only").checked;
  const rows = history.recent.filter((r) => !onlyNeg || kind(r.label) === "negative");
  list.replaceChildren(...rows.map((r) => item(r.label + " " + r.score.toFixed(2), kind(r.label), r.text, r.time,
                                               r.source + ": " + r.text)));
  if (!rows.length) list.append(el("li", "empty", onlyNeg ? "no negative text yet" : "nothing classified yet"));
  const alerts = $("alerts-list");
  alerts.replaceChildren(...history.alerts.map((a) => item(a.label + " " + a.score.toFixed(2), kind(a.label),
      (a.author ? a.author + ": " : "") + a.text, a.time, a.destination)));
  if (!history.alerts.length) alerts.append(el("li", "empty", "no alert sent"));
}

const SVG = "http://www.w3.org/2000/svg";
function colour(label, i) {
  const k = kind(label);
  return k === "negative" ? "#d1453b" : k === "positive" ? "#2f9e6a" : ["#5b7bd5", "#c9a227", "#8e5bd5", "#999"][i % 4];
}

// One stacked bar per minute of the last hour: each label's share of that minute's texts.
function renderChart() {
  const W = 600, H = 120, minutes = 60;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "share of each label per minute");
  const now = Math.floor(Date.now() / 60000);
  const bw = W / minutes;
  for (const point of history.series) {
    const slot = minutes - 1 - (now - Math.floor(point.time / 60000));
    if (slot < 0 || slot >= minutes) continue;
    const total = Object.values(point.counts).reduce((a, b) => a + b, 0);
    let y = H;
    history.labels.forEach((label, i) => {
      const n = point.counts[label] || 0;
      if (!n) return;
      const h = (H * n) / total;
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", (slot * bw + 0.5).toFixed(1));
      rect.setAttribute("width", (bw - 1).toFixed(1));
      rect.setAttribute("y", (y - h).toFixed(1));
      rect.setAttribute("height", h.toFixed(1));
      rect.setAttribute("fill", colour(label, i));
      const tip = document.createElementNS(SVG, "title");
      tip.textContent = `${when(point.time)}: ${label} ${n} of ${total}`;
      rect.append(tip);
      svg.append(rect);
      y -= h;
    });
  }
  $("chart").replaceChildren(svg);
  $("legend").replaceChildren(...history.labels.map((label, i) => {
    const s = el("span", "", label);
    s.style.setProperty("--c", colour(label, i));
    return s;
  }));
}

async function refresh() {
  try {
    history = await call("GET", "/ui/history");
  } catch (e) {
    $("recent-error").hidden = false;
    $("recent-error").textContent = e.message;
    $("recent-off").hidden = $("recent-on").hidden = true;
    return;
  }
  $("recent-error").hidden = true;
  $("recent-off").hidden = history.enabled;
  $("recent-on").hidden = !history.enabled;
  if (history.enabled) {
    renderRecent();
    renderChart();
  }
}

function keyState() {
  $("key-state").textContent = sessionStorage.getItem(KEY) ? "key set for this tab" : "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
    $("api-key").value = "";
    keyState();
    refresh();
  });
  $("review-form").addEventListener("submit", explain);
  $("negative-only").addEventListener("change", () => history && renderRecent());
  keyState();
  refresh();
  setInterval(refresh, 5000);
});
