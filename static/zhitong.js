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

  // <textarea data-maxlength="4000">: count the characters as they are typed and say when the
  // text is too long (the server refuses it, naming the field). No maxlength attribute: that
  // would cut a pasted text silently. Without this script the form still works.
  var COUNTER_WORDS = {
    "zh-hans": { count: "{n} / {max} 字", over: "超出 {over} 字，最多 {max} 字，请删减。" },
    en: { count: "{n} / {max} characters", over: "{over} characters too many; at most {max}. Please shorten it." }
  };

  function counterWords() {
    var lang = (document.documentElement.lang || "zh-hans").toLowerCase();
    return COUNTER_WORDS[lang] || (lang.indexOf("zh") === 0 ? COUNTER_WORDS["zh-hans"] : COUNTER_WORDS.en);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function updateCounter(field) {
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!max) return;
    var counter = field.nextElementSibling;
    if (!counter || !counter.hasAttribute("data-counter")) {
      counter = document.createElement("p");
      counter.setAttribute("data-counter", "");
      counter.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", counter);
    }
    var n = Array.from(field.value).length;
    var words = counterWords();
    var over = n - max;
    counter.className = over > 0 ? "error counter" : "muted counter";
    counter.textContent = over > 0
      ? fill(words.count, { n: n, max: max }) + " · " + fill(words.over, { over: over, max: max })
      : fill(words.count, { n: n, max: max });
    field.setAttribute("aria-invalid", over > 0 ? "true" : "false");
  }

  document.addEventListener("input", function (event) {
    var field = event.target.closest("textarea[data-maxlength]");
    if (field) updateCounter(field);
  });

  function countAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("textarea[data-maxlength]").forEach(updateCounter);
  }
  document.addEventListener("DOMContentLoaded", function () { countAll(document); });
  // A page htmx swaps in (hx-boost): count its fields too.
  document.addEventListener("htmx:load", function (event) { countAll(event.target); });

  // A visit's matter: the resident's verdict is asked only for a matter settled on the spot.
  // Without this script the field is always shown (and the server says when it is missing).
  function syncVerdict(matter) {
    var settled = matter.querySelector('input[name$="-outcome"][value="settled"]');
    var verdict = matter.querySelector('[data-field$="-satisfaction"]');
    if (!settled || !verdict) return;
    verdict.hidden = !settled.checked;
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches('input[name$="-outcome"]')) return;
    var matter = event.target.closest(".matter");
    if (matter) syncVerdict(matter);
  });

  function syncAllVerdicts(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".matter").forEach(syncVerdict);
  }
  document.addEventListener("DOMContentLoaded", function () { syncAllVerdicts(document); });
  document.addEventListener("htmx:load", function (event) { syncAllVerdicts(event.target); });
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

// "Use my location" (templates/intake/_location.html): with the member's permission, the
// phone's position goes into the form's hidden lat/long fields ([data-location]); refused or
// unavailable, they stay empty and the household's building's point is used. The button
// shows only where the browser can locate.
(function () {
  "use strict";

  function reveal(root) {
    if (!("geolocation" in navigator)) return;
    (root || document).querySelectorAll("button[data-locate]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-locate]");
    if (!button || !("geolocation" in navigator)) return;
    var box = button.closest("[data-field=location]") || button.parentNode;
    var lat = box.querySelector("[data-location=lat]");
    var long = box.querySelector("[data-location=long]");
    var status = box.querySelector("[data-location-status]");
    function say(text) { if (status) status.textContent = text; }
    button.disabled = true;
    say(button.getAttribute("data-locating"));
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        long.value = position.coords.longitude.toFixed(6);
        button.disabled = false;
        say(button.getAttribute("data-located"));
      },
      function () {
        lat.value = "";
        long.value = "";
        button.disabled = false;
        say(button.getAttribute("data-refused"));
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:afterSettle", function () { reveal(document); });
  if (document.readyState !== "loading") reveal(document);
})();

// Photo inputs (<input type="file" data-photo-input>): scale each chosen picture on the phone
// to at most 1600 px and re-encode it as JPEG before upload, so a weak signal can carry it.
// Progressive: without JavaScript, or where canvas or DataTransfer is missing, the original
// files go up and the server scales them. The form's buttons wait while pictures are scaled.
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var QUALITY = 0.85;

  function scale(file) {
    return new Promise(function (resolve) {
      if (!/^image\//.test(file.type) || !window.createImageBitmap) { resolve(file); return; }
      createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
        var ratio = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        if (ratio === 1 && file.type === "image/jpeg") { resolve(file); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * ratio);
        canvas.height = Math.round(bitmap.height * ratio);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", QUALITY);
      }, function () { resolve(file); });
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-photo-input]")) return;
    if (!window.DataTransfer || !input.files.length) return;
    var buttons = input.form ? input.form.querySelectorAll("button[type=submit]") : [];
    buttons.forEach(function (button) { button.disabled = true; });
    Promise.all(Array.prototype.map.call(input.files, scale)).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;  // setting files fires no "change": no loop
    }).finally(function () {
      buttons.forEach(function (button) { button.disabled = false; });
    });
  });
})();
