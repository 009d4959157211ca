// Opora's service worker: the app starts with no network after one online visit.
//
// Everything the app needs to start is pre-cached at install under a cache named after the
// content of all of it (written by `cargo xtask build`), so a new build installs a fresh cache
// and the old one is dropped. Pages are answered with the cached shell; the API is never cached
// here: the app keeps its own data in browser storage and syncs it itself.
const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const CACHE = 'opora-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('opora-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

// The office bundle (principals' and departments' pages) is not pre-cached: teachers' phones
// never download it. The office app, once started, asks for its own files to be kept, so it too
// starts offline after one online visit. Only such content-hashed names are accepted.
self.addEventListener('message', (event) => {
  const keep = event.data && event.data.keep;
  if (!Array.isArray(keep)) return;
  const urls = keep.filter((u) => typeof u === 'string' && /^\/office-[0-9a-f]+(_bg\.wasm|\.js)$/.test(u));
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(urls.map((u) => cache.match(u).then((hit) => hit || cache.add(u)))))
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    // Any page of the app is the same shell; the router inside picks the page.
    event.respondWith(
      caches.match('/', { cacheName: CACHE }).then((cached) => cached || fetch(request))
    );
    return;
  }
  event.respondWith(
    caches.match(request, { cacheName: CACHE }).then((cached) => cached || fetch(request))
  );
});
