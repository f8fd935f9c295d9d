// The modeler page: open the diagram, check it on the server (problems marked on their elements
// and listed; a click selects the element), deploy it with a comment, download or open a file.
// Sets #modeler's data-state ("ready", "checked", "deployed", "failed") and window.modelerReport.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const root = document.getElementById("modeler");
  if (!root || !window.DangjianModeler) return;
  const $ = (id) => document.getElementById(id);
  const status = $("modeler-status");
  const list = $("modeler-problems");
  const modeler = window.DangjianModeler.create({
    container: $("modeler-canvas"), panel: $("modeler-panel"), language: document.documentElement.lang,
  });
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  let marked = [];
  window.modelerReport = { problems: [] };
  window.dangjianModeler = modeler;  // for scripts and tests that drive the modeler

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || "";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  }

  async function open(xml) {
    try {
      await modeler.importXML(xml);
      // The palette covers the diagram's left edge and the minimap its corner: the diagram starts
      // right of the palette, and the minimap stays closed until asked for.
      const palette = root.querySelector(".djs-palette");
      const frame = canvas.getContainer();
      const inset = palette ? palette.getBoundingClientRect().right - frame.getBoundingClientRect().left : 0;
      window.fitReadable(canvas, frame, { keepHeight: true, inset: Math.max(0, inset) + 8 });
      root.dataset.state = "ready";
    } catch (error) {
      say(fill(root.dataset.error, { reason: error.message }), "error");
      root.dataset.state = "failed";
    }
  }

  function clearMarks() {
    overlays.remove({ type: "lint" });
    marked.forEach((id) => registry.get(id) && canvas.removeMarker(id, "lint-error"));
    marked = [];
    list.replaceChildren();
  }

  function show(problems) {
    clearMarks();
    window.modelerReport.problems = problems;
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = `${problem.kind}：${problem.message}` +
        (problem.element ? `（${problem.element}）` : "") + (problem.file ? ` · ${problem.file}` : "") +
        (problem.line ? `:${problem.line}` : "");
      list.append(item);
      const element = problem.element && registry.get(problem.element);
      if (!element) continue;
      item.dataset.element = problem.element;
      item.addEventListener("click", () => {
        modeler.get("selection").select(element);
        canvas.scrollToElement(element);
      });
      if (!marked.includes(problem.element)) {
        marked.push(problem.element);
        canvas.addMarker(problem.element, "lint-error");
        const badge = document.createElement("span");
        badge.className = "lint-badge";
        badge.textContent = "!";
        badge.title = problem.message;
        overlays.add(problem.element, "lint", { position: { top: -10, left: -10 }, html: badge });
      } else {
        const badge = overlays.get({ element: problem.element, type: "lint" })[0];
        if (badge) badge.html.title += `\n${problem.message}`;
      }
    }
  }

  async function post(url, body) {
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
      body: JSON.stringify({ name: $("modeler-name").value, xml, ...body }),
    });
    return { ok: response.ok, body: await response.json().catch(() => ({})) };
  }

  $("modeler-check").addEventListener("click", async () => {
    try {
      const { ok, body } = await post(root.dataset.check, {});
      if (!ok) { say(body.message || root.dataset.failed, "error"); return; }
      show(body.problems);
      say(body.problems.length ? fill(root.dataset.found, { count: body.problems.length }) : root.dataset.checked,
        body.problems.length ? "error" : "success");
      root.dataset.state = "checked";
    } catch (error) { say(root.dataset.failed, "error"); }
  });

  $("modeler-deploy").addEventListener("click", async () => {
    const comment = $("modeler-comment").value.trim();
    if (!comment) { say(root.dataset.noComment, "error"); $("modeler-comment").focus(); return; }
    try {
      let { ok, body } = await post(root.dataset.deploy, { comment });
      // The diagram's process is deployed from a file of another name: replacing it is a choice.
      if (!ok && body.confirm === "replace_file" && window.confirm(`${body.message}\n\n${root.dataset.replace}`)) {
        ({ ok, body } = await post(root.dataset.deploy, { comment, replace_file: true }));
      }
      show(body.problems || []);
      say(body.message || root.dataset.failed, ok ? "success" : "error");
      if (ok) { root.dataset.state = "deployed"; window.modelerReport.deployed = body.deployed; }
    } catch (error) { say(root.dataset.failed, "error"); }
  });

  $("modeler-download").addEventListener("click", async () => {
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = $("modeler-name").value || "diagram.bpmn";
    link.click();
    URL.revokeObjectURL(link.href);
  });

  $("modeler-upload").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > 2 * 1024 * 1024) { say(root.dataset.tooLarge, "error"); return; }
    $("modeler-name").value = file.name.replace(/\.xml$/i, ".bpmn");
    clearMarks();
    await open(await file.text());
  });

  await open($("modeler-source").value);
});
