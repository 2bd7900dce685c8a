// The field app offline (README "Field app offline"): registers the service worker (/sw.js),
// shows the offline bar, and keeps visits saved without a network in an outbox on the phone
// (IndexedDB), each with an id made here, until the server has them. Every word shown comes
// from the page (data-* attributes of #outbox, rendered in the reader's language).
(function () {
  "use strict";

  var DB_NAME = "zhitong-outbox";
  var STORE = "visits";
  var RETRY_MS = 30000;

  // --- words -------------------------------------------------------------------------------

  function panel() { return document.getElementById("outbox"); }

  function words(name, values) {
    var box = panel();
    var text = (box && box.getAttribute("data-" + name)) || "";
    return text.replace(/\{(\w+)\}/g, function (_, key) { return String(values && values[key]); });
  }

  function me() {
    var box = panel();
    return box ? box.getAttribute("data-user") || "" : "";
  }

  // --- the service worker and the offline bar ----------------------------------------------

  // Only for a signed-in person (the outbox panel is on their pages): the field pages are
  // theirs; the sign-in page needs no worker.
  // Signing in swaps the home page in (hx-boost): no load event follows, so this runs on
  // every page start and swap; registering again is a no-op.
  var registered = false;
  function registerWorker() {
    if (registered || !panel() || !("serviceWorker" in navigator) || !window.isSecureContext) return;
    registered = true;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { registered = false; });
  }

  var wasOffline = false;
  function showConnection() {
    var bar = document.querySelector("[data-offline-bar]");
    if (!bar) return;
    if (!navigator.onLine) {
      wasOffline = true;
      bar.textContent = bar.getAttribute("data-offline");
      bar.className = "offline-bar is-offline";
      bar.hidden = false;
    } else if (wasOffline) {
      bar.textContent = bar.getAttribute("data-online");
      bar.className = "offline-bar is-online";
      bar.hidden = false;
      window.setTimeout(function () { if (navigator.onLine) bar.hidden = true; }, 4000);
    } else {
      bar.hidden = true;
    }
  }

  // --- IndexedDB -----------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!("indexedDB" in window)) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "client_id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function allVisits() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.user === me(); })
        .sort(function (a, b) { return a.recorded_at < b.recorded_at ? -1 : 1; });
    });
  }

  function putVisit(item) { return withStore("readwrite", function (store) { store.put(item); }); }
  function getVisit(id) { return withStore("readonly", function (store) { return store.get(id); }); }
  function deleteVisit(id) { return withStore("readwrite", function (store) { store["delete"](id); }); }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // --- the panel: n waiting, send now, refusals -------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var note = "";
  function render() {
    var box = panel();
    if (!box) return Promise.resolve();
    return allVisits().then(function (items) {
      var waiting = items.filter(function (item) { return item.state !== "refused"; });
      var refused = items.filter(function (item) { return item.state === "refused"; });
      var count = box.querySelector("[data-outbox-count]");
      var list = box.querySelector("[data-outbox-list]");
      var message = box.querySelector("[data-outbox-note]");
      count.textContent = waiting.length ? words("waiting", { n: waiting.length }) : "";
      box.querySelector("[data-outbox-send]").hidden = !waiting.length;
      message.textContent = note;
      list.textContent = "";
      items.forEach(function (item) {
        var row = el("li", item.state === "refused" ? "outbox-item refused" : "outbox-item");
        row.setAttribute("data-outbox-item", item.client_id);
        row.appendChild(el("strong", "", item.label || ""));
        row.appendChild(el("span", "muted", " " + new Date(item.recorded_at).toLocaleString()));
        var photos = (item.photos || []).length;
        if (photos) row.appendChild(el("span", "muted", " · " + words("photos", { n: photos })));
        if (item.reason) row.appendChild(el("p", item.state === "refused" ? "error" : "muted", item.reason));
        if (item.state === "refused") {
          var edit = el("a", "", words("edit"));
          edit.href = item.action + "?outbox=" + encodeURIComponent(item.client_id);
          edit.setAttribute("hx-boost", "false");
          row.appendChild(edit);
          var discard = el("button", "link", words("discard"));
          discard.type = "button";
          discard.setAttribute("data-outbox-discard", item.client_id);
          row.appendChild(document.createTextNode(" "));
          row.appendChild(discard);
        }
        list.appendChild(row);
      });
      box.hidden = !items.length && !note;
      return items;
    }).catch(function () { /* no IndexedDB: nothing kept, nothing to show */ });
  }

  // --- sending --------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // A visit with photos goes as a form with files (multipart), the photos from the phone's
  // store; one without, as plain form fields.
  function sendOne(item) {
    var photos = item.photos || [];
    var body = photos.length ? new FormData() : new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    photos.forEach(function (photo) { body.append("photos", photo.data, photo.name); });
    body.set("household", item.household);
    body.set("client_id", item.client_id);
    body.set("recorded_at", item.recorded_at);
    return fetch("/visits/", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        // The sign-in page, a refused CSRF token after signing in again, a server in trouble:
        // keep it waiting, say why, try again later.
        item.reason = response.status === 403 || response.redirected ? words("signin") : words("later");
        return putVisit(item).then(function () { return "stop"; });
      }
      return response.json().then(function (answer) {
        if (response.status === 200 || response.status === 201) {
          note = answer.message || words("sent");
          return deleteVisit(item.client_id).then(function () { return "sent"; });
        }
        if (response.status === 401) {
          item.reason = answer.detail || words("signin");
          return putVisit(item).then(function () { return "stop"; });
        }
        if (response.status >= 500) {
          item.reason = words("later");
          return putVisit(item).then(function () { return "stop"; });
        }
        item.state = "refused";
        item.reason = answer.detail || words("later");
        item.errors = answer.errors || {};
        return putVisit(item).then(function () { return "refused"; });
      });
    }, function () {
      item.reason = words("later");
      return putVisit(item).then(function () { return "stop"; });
    });
  }

  var sending = false;
  function sendAll() {
    if (sending || !navigator.onLine || !panel()) return Promise.resolve();
    sending = true;
    var run = function () {
      return allVisits().then(function (items) {
        var waiting = items.filter(function (item) { return item.state !== "refused"; });
        var chain = Promise.resolve("go");
        waiting.forEach(function (item) {
          chain = chain.then(function (last) { return last === "stop" ? "stop" : sendOne(item); });
        });
        return chain;
      });
    };
    // One tab sends at a time; the server logs a visit once by its id in any case.
    var locked = navigator.locks ? navigator.locks.request("zhitong-outbox", run) : run();
    return Promise.resolve(locked).catch(function () {}).then(function () {
      sending = false;
      return render();
    });
  }

  // --- saving the visit form offline ------------------------------------------------------

  function formFields(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") fields.push([name, value]);
    });
    return fields;
  }

  // The chosen photos (already scaled on the phone, static/zhitong.js), kept in IndexedDB as
  // they are: a Blob is stored whole, not as text.
  function formPhotos(form) {
    var photos = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "photos" && typeof value !== "string" && value.size) {
        photos.push({ name: value.name || "photo.jpg", type: value.type, data: value });
      }
    });
    return photos;
  }

  // The visit's id, made here when the form opens: the same id whether the form goes online
  // or through the outbox, so a visit whose answer was lost is not logged twice.
  function idField(form) {
    var field = form.querySelector("input[name=client_id]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "client_id";
      field.value = newId();
      form.appendChild(field);
    }
    return field;
  }

  function saveForm(form) {
    var id = form.getAttribute("data-outbox-id") || idField(form).value;
    var item = {
      client_id: id,
      user: me(),
      household: form.getAttribute("data-household"),
      label: form.getAttribute("data-household-label"),
      action: form.getAttribute("action") || window.location.pathname,
      fields: formFields(form),
      photos: formPhotos(form),
      recorded_at: new Date().toISOString(),
      state: "waiting",
      reason: ""
    };
    return getVisit(id).then(function (before) {
      // An edited refusal keeps the time it was first recorded at, and its photos unless
      // others were chosen.
      if (before && before.recorded_at) item.recorded_at = before.recorded_at;
      if (before && !item.photos.length) item.photos = before.photos || [];
      return putVisit(item);
    }).then(function () {
      note = words("saved");
      form.removeAttribute("data-outbox-id");
      form.reset();
      idField(form).value = newId();
      return render();
    }).then(function () {
      if (navigator.onLine) return sendAll();
    });
  }

  // Capture phase: before htmx's boosted submit. Online, the form goes as it always has;
  // offline (or when editing a refused visit), into the outbox.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-outbox-form]");
    if (!form || !panel()) return;
    if (navigator.onLine && !form.hasAttribute("data-outbox-id")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    saveForm(form).catch(function () {
      note = words("failed");
      render();
    });
  }, true);

  // The network fails under a boosted submit although the phone says it is online: keep it.
  document.addEventListener("htmx:sendError", function (event) {
    // The form's own submit only: a suggestion fetched from inside the form (the likely
    // duplicates under a matter) failing offline is not a save.
    var form = event.detail && event.detail.elt;
    if (form && form.matches && form.matches("form[data-outbox-form]")) saveForm(form);
  });

  // ?outbox=<id> on the visit form: a refused visit back in its form, to correct and send.
  function fillFromOutbox() {
    var form = document.querySelector("form[data-outbox-form]");
    if (form) idField(form);
    var id = new URLSearchParams(window.location.search).get("outbox");
    if (!form || !id) return;
    getVisit(id).then(function (item) {
      if (!item || item.user !== me()) return;
      var values = {};
      item.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
      Array.from(form.elements).forEach(function (field) {
        if (!field.name || field.name === "csrfmiddlewaretoken" || field.name === "client_id" || field.type === "file") return;
        var given = values[field.name] || [];
        if (field.type === "checkbox" || field.type === "radio") field.checked = given.indexOf(field.value) !== -1;
        else if (field.name in values) field.value = given[0];
      });
      form.setAttribute("data-outbox-id", item.client_id);
      idField(form).value = item.client_id;
      var reason = form.querySelector("[data-outbox-reason]");
      if (reason) { reason.textContent = item.reason || ""; reason.hidden = !item.reason; }
      var kept = form.querySelector("[data-outbox-photos]");
      var photos = (item.photos || []).length;
      if (kept) { kept.textContent = photos ? words("photos-kept", { n: photos }) : ""; kept.hidden = !photos; }
    });
  }

  // --- the panel's buttons, signing out ---------------------------------------------------

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-outbox-send]")) {
      event.preventDefault();
      note = "";
      sendAll();
      return;
    }
    var discard = event.target.closest("[data-outbox-discard]");
    if (discard) {
      event.preventDefault();
      if (window.confirm(words("confirm-discard"))) {
        deleteVisit(discard.getAttribute("data-outbox-discard")).then(render);
      }
    }
  });

  // Signing out: asks before the visits not yet sent are discarded; the pages kept for
  // offline use are the person's own, and go too.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-signout]");
    if (!form || form.hasAttribute("data-confirmed")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    allVisits().catch(function () { return []; }).then(function (items) {
      if (items.length && !window.confirm(words("confirm-signout", { n: items.length }))) return;
      var forget = items.map(function (item) { return deleteVisit(item.client_id); });
      if (window.caches) {
        forget.push(caches.keys().then(function (keys) {
          return Promise.all(keys.filter(function (key) { return key.indexOf("zhitong-pages-") === 0; })
            .map(function (key) { return caches["delete"](key); }));
        }));
      }
      try { window.localStorage.removeItem(keptKey()); } catch (e) { /* private mode */ }
      Promise.all(forget).catch(function () {}).then(function () {
        form.setAttribute("data-confirmed", "");
        form.submit();
      });
    });
  }, true);

  // --- keeping the households for the day: every page of the list, each household's page
  // and its visit form, fetched through the service worker, which keeps them -------------

  var KEEP_LIMIT = 1000;  // households: a zone has 250-350; a member serves one or two

  function keptKey() { return "zhitong-kept:" + me(); }

  function keptRecord() {
    try { return JSON.parse(window.localStorage.getItem(keptKey()) || "null"); } catch (e) { return null; }
  }

  function keep(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Zhitong-Keep": "1" } }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || response.redirected || type.indexOf("text/html") !== 0) throw new Error(String(response.status));
      return response.text();
    });
  }

  function listPages(first) {
    // The list's pages, following each page's "next" link: [{url, doc}].
    var pages = [];
    var step = function (url) {
      return keep(url).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        pages.push({ url: url, doc: doc });
        var next = doc.querySelector(".pager a[rel=next]");
        var count = pages.reduce(function (n, page) { return n + page.doc.querySelectorAll("ul.households > li").length; }, 0);
        if (next && count < KEEP_LIMIT) return step(new URL(next.getAttribute("href"), new URL(url, window.location.href)).href);
        return pages;
      });
    };
    return step(first);
  }

  function showKept(button, text) {
    var status = document.querySelector("[data-offline-keep-status]");
    if (status) status.textContent = text;
    if (button) button.disabled = false;
  }

  function keepHouseholds(button) {
    var box = button.closest("[data-offline-keep-box]");
    var say = function (name, values) { return (box.getAttribute("data-" + name) || "").replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); }); };
    button.disabled = true;
    showKept(null, say("keeping", { done: 0, total: "…" }));
    // The list as filtered (a zone, not yet visited, a search), from its first page.
    var here = new URL(window.location.href);
    here.searchParams.delete("page");
    here.hash = "";
    var first = here.href;
    listPages(first).then(function (pages) {
      var households = [];
      pages.forEach(function (page) {
        page.doc.querySelectorAll("ul.households > li > a[href]").forEach(function (link) {
          var href = new URL(link.getAttribute("href"), first).pathname;
          if (households.indexOf(href) === -1) households.push(href);
        });
      });
      var done = 0;
      var queue = households.slice(0, KEEP_LIMIT);
      var worker = function () {
        var next = queue.shift();
        if (!next) return Promise.resolve();
        return keep(next).then(function () { return keep(next + "visits/new/"); }).then(function () {
          done += 1;
          showKept(null, say("keeping", { done: done, total: households.length }));
          return worker();
        });
      };
      return Promise.all([worker(), worker(), worker()]).then(function () {
        var record = { at: new Date().toISOString(), households: done, pages: pages.map(function (page) { return page.url; }) };
        window.localStorage.setItem(keptKey(), JSON.stringify(record));
        showKept(button, say("kept", { n: done, at: new Date(record.at).toLocaleTimeString() }));
      });
    }).catch(function () {
      showKept(button, say("keep-failed", {}));
    });
  }

  function showKeepBox() {
    var box = document.querySelector("[data-offline-keep-box]");
    if (!box) return;
    box.hidden = !("serviceWorker" in navigator) || !window.isSecureContext;
    var record = keptRecord();
    if (record && !document.querySelector("[data-offline-keep-status]").textContent) {
      var text = (box.getAttribute("data-kept") || "").replace("{n}", record.households)
        .replace("{at}", new Date(record.at).toLocaleString());
      showKept(null, text);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-offline-keep]");
    if (!button || button.disabled) return;
    event.preventDefault();
    keepHouseholds(button);
  });

  // --- the households list offline: its search filters every page the phone kept --------

  function squash(text) { return String(text || "").replace(/\s+/g, "").toLowerCase(); }

  // Offline, the other kept pages of the list join the first (once), so a search finds a
  // household on any of them.
  var joined = null;
  function joinKeptPages() {
    var list = document.querySelector("ul.households");
    if (joined && joined.list === list) return joined.done;
    var record = keptRecord();
    var urls = record ? record.pages : [];
    var done = Promise.all(urls.map(function (url) { return keep(url).catch(function () { return ""; }); }))
      .then(function (htmls) {
        var seen = {};
        list.querySelectorAll(":scope > li > a[href]").forEach(function (link) { seen[link.getAttribute("href")] = true; });
        htmls.forEach(function (html) {
          if (!html) return;
          new DOMParser().parseFromString(html, "text/html").querySelectorAll("ul.households > li").forEach(function (row) {
            var link = row.querySelector("a[href]");
            if (link && seen[link.getAttribute("href")]) return;
            if (link) seen[link.getAttribute("href")] = true;
            list.appendChild(document.importNode(row, true));
          });
        });
        var pager = document.querySelector(".pager");
        if (pager && urls.length) pager.hidden = true;
      });
    joined = { list: list, done: done };
    return done;
  }

  function filterHouseholds(query) {
    return joinKeptPages().then(function () {
      var wanted = squash(query);
      document.querySelectorAll("ul.households > li").forEach(function (row) {
        row.hidden = wanted !== "" && squash(row.textContent).indexOf(wanted) === -1;
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[role=search]");
    if (!form || navigator.onLine || !document.querySelector("ul.households")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    filterHouseholds((form.querySelector("input[name=q]") || {}).value);
  }, true);

  function filterFromAddress() {
    if (navigator.onLine || !document.querySelector("ul.households")) return;
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) filterHouseholds(query);
  }

  // --- start ------------------------------------------------------------------------------

  function start() {
    registerWorker();
    showConnection();
    render().then(function () { return sendAll(); });
    fillFromOutbox();
    filterFromAddress();
    showKeepBox();
  }

  window.addEventListener("online", function () { showConnection(); note = ""; sendAll(); });
  window.addEventListener("offline", showConnection);
  // hx-boost swaps the body: the panel and the form are new elements. Only then: a part of a
  // page swapped in (the likely duplicates under a matter) must not fill the form again from
  // the outbox over what the member has just chosen.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target !== document.body) return;
    registerWorker();
    showConnection();
    render();
    fillFromOutbox();
    filterFromAddress();
    showKeepBox();
  });
  window.setInterval(function () { if (navigator.onLine) sendAll(); }, RETRY_MS);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
