// The console's only script, served from /console/static (the CSP allows no other): it adds
// nothing the pages need to work; without it every form still submits.
"use strict";

// A form sent once: its buttons are disabled until the next page, so a double click does
// not send a decision twice (the server would refuse the second, but say so confusingly).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
    return;
  }
  window.setTimeout(() => {
    for (const button of form.querySelectorAll("button")) {
      button.disabled = true;
    }
  }, 0);
});

// The sign-in code field takes digits only (pasted codes often carry spaces).
document.addEventListener("input", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.id === "code") {
    field.value = field.value.replace(/[^0-9]/g, "").slice(0, 6);
  }
});
