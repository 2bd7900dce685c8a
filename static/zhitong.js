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

// A meeting's decision form (<form data-decision-form>): show only the fields of the chosen
// decision (<div data-decision-for="refer">); with no decision chosen, or without
// JavaScript, every field shows. Run on load and after every htmx swap.
(function () {
  "use strict";

  function showChosen(form) {
    var chosen = form.querySelector("[data-decision-choice]:checked");
    var value = chosen ? chosen.value : "";
    form.querySelectorAll("[data-decision-for]").forEach(function (block) {
      var decisions = block.getAttribute("data-decision-for").split(" ");
      block.hidden = value !== "" && decisions.indexOf(value) === -1;
    });
  }

  function showAll(root) {
    (root || document).querySelectorAll("form[data-decision-form]").forEach(showChosen);
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-decision-choice]")) return;
    var form = event.target.closest("form[data-decision-form]");
    if (form) showChosen(form);
  });
  document.addEventListener("DOMContentLoaded", function () { showAll(document); });
  document.addEventListener("htmx:afterSettle", function () { showAll(document); });
  if (document.readyState !== "loading") showAll(document);
})();
