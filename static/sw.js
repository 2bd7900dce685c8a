// The field app's service worker (served at /sw.js by config/pwa.py, which defines ZHITONG:
// the version of this build and the static files to keep). Our own code, no library.
//
// Static files: cache first, in a cache named after the build, so a new build replaces them.
// The field pages (home, the households list and its searches, a household's page, the visit
// form): network first, and the copy kept from the last time the page was opened when there
// is no network. "Keep my households for offline use" on the households list fetches every
// page of the list, each household's page and its visit form through here, so all are kept. The pages are the signed-in person's own: static/outbox.js deletes them on
// sign-out. Nothing else is kept: the queue, tickets and the rest need the network.
/* global ZHITONG */
"use strict";

var STATIC_CACHE = "zhitong-static-" + ZHITONG.version;
var PAGES_CACHE = "zhitong-pages-" + ZHITONG.version;
var FIELD_PAGES = [/^\/$/, /^\/zone\/$/, /^\/households\/\d+\/$/, /^\/households\/\d+\/visits\/new\/$/];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(ZHITONG.precache); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (key) {
          return key.indexOf("zhitong-") === 0 && key !== STATIC_CACHE && key !== PAGES_CACHE;
        }).map(function (key) { return caches.delete(key); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function isFieldPage(url) {
  return FIELD_PAGES.some(function (pattern) { return pattern.test(url.pathname); });
}

function offlinePage() {
  var html = '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线 · 直通</title></head>' +
    "<body><main><h1>离线 · Offline</h1><p>此页今天未在本机打开过，联网后再试。</p>" +
    "<p>This page was not opened on this phone today; try again with a network.</p>" +
    '<p><a href="/">首页 Home</a></p></main></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function fieldPage(event, url) {
  var key = url.origin + url.pathname + url.search;
  return fetch(event.request).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.ok && !response.redirected && type.indexOf("text/html") === 0) {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) { return cache.put(key, copy); }));
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(key, { ignoreVary: true }).then(function (kept) {
        if (kept || url.pathname !== "/zone/") return kept;
        // A search not made online today: the list without the search (then the whole list),
        // which the page filters itself, across every page of the list the phone kept.
        var plain = new URL(url.href);
        plain.searchParams.delete("q");
        plain.searchParams.delete("page");
        return cache.match(plain.origin + plain.pathname + plain.search, { ignoreVary: true }).then(function (list) {
          return list || cache.match(url.origin + "/zone/", { ignoreVary: true });
        });
      });
    }).then(function (kept) { return kept || offlinePage(); });
  });
}

function staticFile(event) {
  var request = event.request;
  return caches.match(request, { ignoreVary: true }).then(function (kept) {
    return kept || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); }));
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(event));
    return;
  }
  // A page, opened or boosted by htmx (which asks for the whole page); not htmx's partial
  // answers (hx-get into a part of a page), which would be kept in the page's place.
  // Or a page the households list keeps for the day ("X-Zhitong-Keep", static/outbox.js).
  var boosted = request.headers.get("HX-Request") !== "true" || request.headers.get("HX-Boosted") === "true";
  var kept = request.headers.get("X-Zhitong-Keep") === "1";
  if (isFieldPage(url) && boosted && (kept || request.mode === "navigate" || request.headers.get("HX-Boosted") === "true")) {
    event.respondWith(fieldPage(event, url));
  }
});
