// Draw a BPMN diagram with bpmn-js (served from /static/vendor). Sets window.diagramReport for tests
// (the import warnings and the shapes drawn), then marks the container data-state="drawn" or "failed".
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container });
  try {
    const xml = await (await fetch(container.dataset.source, { credentials: "same-origin" })).text();
    const { warnings } = await viewer.importXML(xml);
    window.fitReadable(viewer.get("canvas"), container);
    const shapes = viewer.get("elementRegistry").filter((e) => e.type !== "label" && e.waypoints === undefined)
      .map((e) => ({ id: e.id, type: e.type, x: e.x, y: e.y, width: e.width, height: e.height }));
    window.diagramReport = { warnings: warnings.map((w) => w.message), shapes };
    container.dataset.state = "drawn";
  } catch (error) {
    container.textContent = container.dataset.error;
    window.diagramReport = { error: String(error) };
    container.dataset.state = "failed";
  }
});
