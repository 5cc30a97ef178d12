// mikrobot's only script: served from 'self' (the CSP allows no inline script).
// The pages work without it; it adds a confirmation before irreversible actions.
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
