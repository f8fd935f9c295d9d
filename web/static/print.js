// A button marked data-print opens the browser's print dialog (the page's print CSS lays it out on A4).
"use strict";
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
