// Show a bpmn-js diagram so that people can read it: fitted into its frame only down to a zoom at
// which labels stay readable (12 px text at zoom 1, so never below about 10 px), the frame no taller
// than the diagram needs (no half-empty frame), and nothing under the modeler's palette. A diagram
// too wide for the frame starts at its left edge (or at ``focus``) and is dragged or scrolled.
"use strict";
window.fitReadable = function fitReadable(canvas, container, options) {
  const settings = Object.assign({ least: 0.85, most: 1, inset: 0, keepHeight: false, focus: null }, options || {});
  canvas.resized();
  canvas.zoom("fit-viewport");
  const inner = canvas.viewbox().inner;
  const zoom = Math.min(settings.most, Math.max(canvas.zoom(), settings.least));
  if (!settings.keepHeight) {
    const wanted = Math.ceil(inner.height * zoom) + 64;
    const limit = Math.round(window.innerHeight * 0.75);
    container.style.height = `${Math.max(200, Math.min(wanted, limit))}px`;
    canvas.resized();
  }
  const width = container.clientWidth / zoom;
  const height = container.clientHeight / zoom;
  const inset = settings.inset / zoom;
  const pad = 24 / zoom;
  const room = width - inset;
  const x = inner.width + 2 * pad <= room ? inner.x - inset - (room - inner.width) / 2 : inner.x - inset - pad;
  const y = inner.height + 2 * pad <= height ? inner.y - (height - inner.height) / 2 : inner.y - pad;
  canvas.viewbox({ x, y, width, height });
  if (settings.focus && inner.width + 2 * pad > room) {
    try { canvas.scrollToElement(settings.focus, { top: 40, bottom: 40, left: settings.inset + 40, right: 40 }); }
    catch (error) { /* an element without graphics: stay at the left edge */ }
  }
  return zoom;
};
