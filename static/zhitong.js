// The screens' own behaviour, kept out of the HTML so the Content-Security-Policy can refuse
// every inline script. Listeners sit on the document, so they keep working on pages that
// htmx swaps in (hx-boost) without loading this file again.
(function () {
  "use strict";

  // <button data-print>: print this page (the transfer form, minutes, opinions, the report).
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-print]");
    if (!trigger) return;
    event.preventDefault();
    window.print();
  });

  // <select data-autosubmit>: send its form as soon as the choice changes.
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (!field || !field.form) return;
    field.form.requestSubmit();
  });
})();
