// The pages' own script, loaded by pages that need it; each page works without it.
// - a live view (an element with data-live="<url>") swaps in the HTML fragments its
//   server-sent event stream sends (the kit restock view);
// - a button with data-print prints the page (the labels sheet).
"use strict";

for (const view of document.querySelectorAll("[data-live]")) {
  if (typeof EventSource === "function") {
    const stream = new EventSource(view.dataset.live);
    const note = document.querySelector("[data-live-note]");
    stream.addEventListener("kit", (event) => {
      view.innerHTML = event.data; // rendered and escaped by the server
      view.dataset.updated = new Date().toISOString();
    });
    stream.addEventListener("open", () => { if (note) { note.hidden = false; } });
    stream.addEventListener("error", () => { if (note) { note.hidden = true; } });
    stream.addEventListener("gone", () => stream.close());
  }
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
