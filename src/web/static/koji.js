// koji-rs web UI: live updates over server-sent events (no polling), and the cluster health chart.
"use strict";

// Re-reads the current page and swaps in the named regions, keeping everything else (e.g. streaming logs);
// changes within `delay` ms share one re-read, so a busy farm costs a viewer at most one page per `delay`.
function refresher(ids, delay) {
  let timer = null;
  return function () {
    if (timer) return;
    timer = setTimeout(async function () {
      timer = null;
      try {
        const response = await fetch(location.href, { credentials: "same-origin" });
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const id of ids) {
          const fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        }
      } catch (e) { /* the next event retries */ }
    }, delay);
  };
}

function followTask(root) {
  const id = root.dataset.liveTask;
  const refresh = refresher(["summary", "actions", "children", "output", "resultbox"], 300);
  const logs = document.getElementById("logs");
  const source = new EventSource("/koji/events?taskID=" + encodeURIComponent(id));
  source.addEventListener("state", function (ev) {
    const s = JSON.parse(ev.data);
    for (const el of document.querySelectorAll('[data-task="' + s.id + '"] [data-state], [data-task-state="' + s.id + '"] [data-state]')) {
      el.textContent = s.state;
      el.className = "state " + s.state.toLowerCase();
    }
    refresh();
  });
  source.addEventListener("log", function (ev) {
    const chunk = JSON.parse(ev.data);
    let pre = Array.from(logs.querySelectorAll("pre[data-log]")).find(p => p.dataset.log === chunk.name);
    if (!pre) {
      const h = document.createElement("h3");
      h.textContent = chunk.name;
      pre = document.createElement("pre");
      pre.className = "log";
      pre.dataset.log = chunk.name;
      logs.append(h, pre);
    }
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(document.createTextNode(chunk.text));
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  });
}

function followLists(regions) {
  const refresh = refresher(regions.map(r => r.id).filter(Boolean), 1000);
  const source = new EventSource("/koji/events");
  source.addEventListener("task", refresh);
}

// Horizontal bars per channel: capacity vs load of its enabled hosts, and the queue; drawn as inline SVG.
function drawChart(el) {
  const channels = JSON.parse(el.dataset.chart || "[]");
  const ns = "http://www.w3.org/2000/svg";
  const row = 34, left = 110, width = 420;
  const maxCap = Math.max(1, ...channels.map(c => Math.max(c.capacity, c.load)));
  const maxQueue = Math.max(1, ...channels.map(c => c.queued));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 " + (left + width + 10) + " " + (channels.length * row + 24));
  svg.setAttribute("class", "chart");
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const k in attrs) n.setAttribute(k, attrs[k]);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  channels.forEach(function (c, i) {
    const y = i * row + 4, scale = width / maxCap;
    add("text", { x: 0, y: y + 14, class: "label" }, c.name);
    add("rect", { x: left, y: y, width: Math.max(1, c.capacity * scale), height: 10, class: "capacity" })
      .append(Object.assign(document.createElementNS(ns, "title"), { textContent: "capacity " + c.capacity }));
    add("rect", { x: left, y: y + 10, width: Math.max(1, c.load * scale), height: 10, class: "load" })
      .append(Object.assign(document.createElementNS(ns, "title"), { textContent: "load " + c.load.toFixed(2) }));
    add("rect", { x: left, y: y + 20, width: Math.max(1, c.queued / maxQueue * width), height: 6, class: "queue" })
      .append(Object.assign(document.createElementNS(ns, "title"), { textContent: "queued " + c.queued }));
  });
  const ly = channels.length * row + 18;
  add("rect", { x: left, y: ly - 9, width: 10, height: 10, class: "capacity" });
  add("text", { x: left + 14, y: ly, class: "legend" }, "capacity");
  add("rect", { x: left + 90, y: ly - 9, width: 10, height: 10, class: "load" });
  add("text", { x: left + 104, y: ly, class: "legend" }, "load");
  add("rect", { x: left + 160, y: ly - 9, width: 10, height: 10, class: "queue" });
  add("text", { x: left + 174, y: ly, class: "legend" }, "queued tasks");
  el.append(svg);
}

document.addEventListener("DOMContentLoaded", function () {
  const task = document.querySelector("[data-live-task]");
  if (task) {
    followTask(task);
  } else {
    const regions = Array.from(document.querySelectorAll('[data-live="tasks"]'));
    if (regions.length) followLists(regions);
  }
  const chart = document.getElementById("chart");
  if (chart) drawChart(chart);
});
