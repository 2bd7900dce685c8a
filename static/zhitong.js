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

// <input type="checkbox" data-select-all="NAME">: tick or untick every checkbox named NAME
// (the queue's "select all" for its bulk actions); it follows them when they are ticked one by one.
(function () {
  "use strict";

  function boxes(master) {
    var name = master.getAttribute("data-select-all");
    return Array.prototype.filter.call(document.querySelectorAll('input[type="checkbox"]'), function (box) {
      return box.name === name && box !== master;
    });
  }

  document.addEventListener("change", function (event) {
    var master = event.target.closest("[data-select-all]");
    if (master) {
      boxes(master).forEach(function (box) {
        box.checked = master.checked;
      });
      return;
    }
    if (event.target.type !== "checkbox" || !event.target.name) return;
    document.querySelectorAll("[data-select-all]").forEach(function (each) {
      if (each.getAttribute("data-select-all") !== event.target.name) return;
      var all = boxes(each);
      each.checked = all.length > 0 && all.every(function (box) { return box.checked; });
    });
  });
})();
