// The web UI's own script: small additions only, every page works without it.
// - a form whose button has data-confirm asks first (disable a user, revoke a key);
// - the skip link moves keyboard focus to the main content.
"use strict";

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset ? button.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest(".skip-link") : null;
  if (link) {
    const main = document.getElementById("main");
    if (main) {
      main.focus();
    }
  }
});
