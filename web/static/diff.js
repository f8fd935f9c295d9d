// Two versions of a diagram side by side, elements coloured by what changed (added, changed, removed).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!window.BpmnJS) return;
  document.querySelectorAll(".diff-diagram").forEach(async (container) => {
    const viewer = new window.BpmnJS({ container });
    try {
      const xml = await (await fetch(container.dataset.source, { credentials: "same-origin" })).text();
      await viewer.importXML(xml);
      window.fitReadable(viewer.get("canvas"), container);
      const registry = viewer.get("elementRegistry");
      for (const [id, change] of Object.entries(JSON.parse(container.dataset.marks))) {
        if (registry.get(id)) viewer.get("canvas").addMarker(id, `diff-${change}`);
      }
      container.dataset.state = "drawn";
    } catch (error) {
      container.textContent = container.dataset.error;
      container.dataset.state = "failed";
    }
  });
});
