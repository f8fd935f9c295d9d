// The project's progress diagram: bpmn-js draws the process its version runs, steps marked done,
// active, late or in error, with a waiting badge on open steps; clicking a call activity opens the
// process it runs, and the trail above leads back. Sets window.progressReport for tests.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("progress");
  if (!container || !window.BpmnJS) return;
  const trail = document.getElementById("progress-trail");
  const viewer = new window.BpmnJS({ container });
  const visited = [];
  let calls = {};

  function drawTrail(view) {
    trail.replaceChildren();
    visited.forEach((process, index) => {
      if (index > 0) trail.append(" › ");
      const name = view.names[process] || process;
      if (index === visited.length - 1) {
        const here = document.createElement("strong");
        here.textContent = name;
        trail.append(here);
      } else {
        const back = document.createElement("button");
        back.type = "button";
        back.className = "link";
        back.textContent = name;
        back.addEventListener("click", () => { visited.length = index + 1; show(process); });
        trail.append(back);
      }
    });
  }

  async function show(process) {
    container.dataset.state = "loading";
    const url = new URL(container.dataset.source, window.location.href);
    if (process) url.searchParams.set("process", process);
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const view = await response.json();
      if (!visited.length) visited.push(view.process);
      await viewer.importXML(view.xml);
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      const overlays = viewer.get("overlays");
      const focus = Object.keys(view.marks).find((id) => registry.get(id)
        && ["late", "error", "active"].includes(view.marks[id].state));
      window.fitReadable(canvas, container, { focus: focus ? registry.get(focus) : null });
      const badges = [];
      for (const [id, mark] of Object.entries(view.marks)) {
        const element = registry.get(id);
        if (!element) continue;
        canvas.addMarker(id, `step-${mark.state}`);
        const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        title.textContent = mark.title;
        registry.getGraphics(id).prepend(title);
        if (mark.badge) {
          const badge = document.createElement("span");
          badge.className = `progress-badge ${mark.state}`;
          badge.textContent = mark.badge;
          badge.title = mark.title;
          overlays.add(id, { position: { top: -14, right: 12 }, html: badge });
          badges.push({ id, text: mark.badge });
        }
      }
      calls = view.calls;
      for (const id of Object.keys(calls)) if (registry.get(id)) canvas.addMarker(id, "step-call");
      drawTrail(view);
      window.progressReport = { process: view.process, marks: view.marks, badges, calls };
      container.dataset.process = view.process;
      container.dataset.state = "drawn";
    } catch (error) {
      container.textContent = container.dataset.error;
      window.progressReport = { error: String(error) };
      container.dataset.state = "failed";
    }
  }

  viewer.on("element.click", (event) => {
    const called = calls[event.element.id];
    if (called) { visited.push(called); show(called); }
  });
  show(null);
});
