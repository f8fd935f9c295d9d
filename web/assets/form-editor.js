// The form editor: CodeMirror with JSON highlighting and syntax checks; the server checks the JSON
// Schema and draws the preview with the inbox's renderer; deploying posts the form with a comment.
// Sets #form-editor's data-state ("previewed", "invalid", "deployed") for tests.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { bracketMatching, foldGutter, syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("form-editor");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const status = $("form-status");
  const csrf = () => document.querySelector("meta[name=csrf-token]").content;
  let timer;

  function say(text, kind) { status.textContent = text; status.className = kind || ""; }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(body),
    });
    return { ok: response.ok, body: await response.json().catch(() => ({})) };
  }

  async function preview() {
    try {
      const { body } = await post(root.dataset.preview, { text: view.state.doc.toString() });
      if (body.problem) {
        say(root.dataset.invalid.replace("%(problem)s", body.problem), "error");
        root.dataset.state = "invalid";
        return;
      }
      $("form-preview").innerHTML = body.html;  // drawn and escaped by the server's templates
      say(root.dataset.valid, "success");
      root.dataset.state = "previewed";
    } catch (error) { say(root.dataset.failed, "error"); }
  }

  const view = new EditorView({
    parent: $("form-source"),
    state: EditorState.create({
      doc: $("form-text").value,
      extensions: [lineNumbers(), history(), foldGutter(), bracketMatching(), json(), lintGutter(),
        linter(jsonParseLinter()), syntaxHighlighting(defaultHighlightStyle), keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) { clearTimeout(timer); timer = setTimeout(preview, 500); }
        })],
    }),
  });
  window.formEditor = view;  // for scripts and tests that drive the editor

  $("form-deploy").addEventListener("click", async () => {
    const comment = $("form-comment").value.trim();
    if (!comment) { say(root.dataset.noComment, "error"); return; }
    try {
      const { ok, body } = await post(root.dataset.deploy, { name: root.dataset.name, xml: view.state.doc.toString(), comment });
      const problems = (body.problems || []).map((p) => `${p.kind}：${p.message}（${p.element || p.file}）`);
      say([body.message || root.dataset.failed, ...problems].join("\n"), ok ? "success" : "error");
      if (ok) root.dataset.state = "deployed";
    } catch (error) { say(root.dataset.failed, "error"); }
  });
  preview();
});
