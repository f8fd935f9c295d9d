// Progressive enhancement for table fields (sub-items, milestone nodes): add and remove rows.
// Without JavaScript the page still works: blank rows are drawn and empty rows are ignored.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    const name = button.dataset.addRow;
    const template = document.querySelector(`template[data-row-template="${name}"]`);
    const body = document.querySelector(`table[data-rows="${name}"] tbody`);
    if (!template || !body) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const index = Number(button.dataset.next);
      button.dataset.next = String(index + 1);
      const html = template.innerHTML.replaceAll("__index__", String(index)).replaceAll("-__index__-", `-${index}-`);
      body.insertAdjacentHTML("beforeend", html);
    });
  });
  document.querySelectorAll(".remove-row").forEach((b) => { b.hidden = false; });
  // Irreversible actions (撤回申报, 重置密码, 停用, 设为当前版本) ask first: the form says what it does.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-row");
    if (button) button.closest("tr").remove();
  });
});
