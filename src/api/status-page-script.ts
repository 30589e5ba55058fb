/**
 * The status page's browser script, served at `/ui/app.js` (public: it holds no data). Plain
 * ES2020 with no dependencies and no build step. Invariants: every datum reaches the DOM through
 * `textContent` (never `innerHTML`), the token travels only in the `Authorization` header and in
 * the `/events?token=` query (EventSource cannot set headers), and it is kept in sessionStorage.
 */
export const STATUS_PAGE_SCRIPT = String.raw`'use strict';
(() => {
  const TOKEN_KEY = 'aviary.apiToken';
  const MAX_ERRORS = 50;
  const TOP_ACTORS = 20;
  const POLL_MS = 5000;
  const PAGE_SIZE = 100;
  const PAGE_REFRESH_MS = 1000;
  const byId = (id) => document.getElementById(id);
  const s = {
    token: null, source: null, timer: null, loading: 0, queued: [],
    entities: new Map(), rows: new Map(), errors: [], cacheRefresh: null, summaryTimer: null,
    // Profiles are shown one page at a time (keyset paging by name: 'after' is the last name of
    // the page before; 'stack' holds the 'after' of every earlier page, for Previous).
    page: { size: PAGE_SIZE, after: null, stack: [], prefix: '', state: '', hasNext: false },
    counts: null, pageRefresh: null, filterTimer: null,
  };

  class Unauthorised extends Error {}

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clock() {
    return new Date().toTimeString().slice(0, 8);
  }

  async function api(path, { allowMissing = false } = {}) {
    const res = await fetch(path, {
      headers: { authorization: 'Bearer ' + s.token, accept: 'application/json' },
      cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
    });
    if (res.status === 401) throw new Unauthorised('unauthorised');
    if (res.status === 404 && allowMissing) return undefined;
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
    return res.json();
  }

  function fillBody(table, rows) {
    const body = byId(table).tBodies[0];
    body.replaceChildren(...rows);
  }

  function row(cells) {
    const tr = el('tr');
    for (const cell of cells) {
      if (cell instanceof Node) tr.append(cell);
      else tr.append(el('td', cell));
    }
    return tr;
  }

  function stateCell(state) {
    return el('td', state, 'state state-' + String(state).replace(/[^a-z-]/g, ''));
  }

  function entityRow(e) {
    // The last failure (code and message) stays shown after a recovery; else the state's reason.
    const why = e.lastError ? e.lastError.code + ': ' + e.lastError.message : (e.reason ?? '');
    const tr = row([e.name, e.jid ?? '', stateCell(e.state), why, e.reconnectAttempts ?? 0]);
    tr.dataset.name = e.name;
    return tr;
  }

  function renderEntities() {
    s.rows.clear();
    const lists = { profiles: [], components: [] };
    const sorted = [...s.entities.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const e of sorted) {
      const tr = entityRow(e);
      s.rows.set(e.name, tr);
      lists[e.kind === 'component' ? 'components' : 'profiles'].push(tr);
    }
    fillBody('profiles', lists.profiles);
    fillBody('components', lists.components);
    scheduleSummary();
  }

  function scheduleSummary() {
    if (s.summaryTimer !== null) return;
    s.summaryTimer = setTimeout(() => {
      s.summaryTimer = null;
      for (const kind of ['profiles', 'components']) {
        const counts = new Map();
        let total = 0;
        if (kind === 'profiles' && s.counts) {
          // Every profile, not only this page: counted by the runtime.
          total = s.counts.profiles.total;
          for (const [state, n] of Object.entries(s.counts.profiles.states)) counts.set(state, n);
        } else {
          for (const e of s.entities.values()) {
            if ((e.kind === 'component') !== (kind === 'components')) continue;
            total += 1;
            counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
          }
        }
        const parts = [...counts].map(([state, n]) => n + ' ' + state);
        byId(kind + '-summary').textContent = total + ' in all' + (parts.length ? ': ' + parts.join(', ') : '');
      }
    }, 100);
  }

  function addError(source, message) {
    s.errors.unshift({ time: clock(), source, message });
    s.errors.length = Math.min(s.errors.length, MAX_ERRORS);
    fillBody('errors', s.errors.map((e) => row([e.time, e.source, e.message])));
    byId('errors-empty').hidden = s.errors.length > 0;
  }

  function renderActors(data) {
    const top = [...data.actors].sort((a, b) => b.depth - a.depth).slice(0, TOP_ACTORS);
    fillBody('actors', top.map((a) => row([a.id, a.depth])));
    byId('actors-summary').textContent = data.actors.length + ' actors, ' + data.deadLetters +
      ' dead letters, ' + data.pendingAsks + ' pending asks';
  }

  function renderHealth(h) {
    const pill = byId('health');
    const failing = Object.entries(h.checks).filter(([, c]) => !c.ok).map(([n, c]) => n + ': ' + c.detail);
    pill.textContent = h.ok ? 'healthy' : 'unhealthy (' + failing.join('; ') + ')';
    pill.className = 'pill ' + (h.ok ? 'ok' : 'bad');
    byId('version').textContent = 'v' + h.version + ', pid ' + h.pid + ', up ' + h.uptimeSeconds + ' s';
  }

  function renderCache(nodes) {
    const note = byId('cache-note');
    byId('cache').hidden = nodes === undefined;
    if (nodes === undefined) {
      note.textContent = 'Cache nodes: not available (this runtime has no /cache/nodes endpoint).';
      return;
    }
    note.textContent = nodes.length + ' nodes';
    fillBody('cache', nodes.map((n) => row([n.profile, n.service, n.name, n.type ?? '', n.analyser ?? '', stateCell(n.syncState ?? 'none')])));
  }

  async function refreshCache() {
    renderCache(await api('/cache/nodes', { allowMissing: true }));
  }

  async function refreshPolled() {
    const [health, actors] = await Promise.all([api('/health'), api('/actors')]);
    renderHealth(health);
    renderActors(actors);
  }

  function profilesPath() {
    const q = new URLSearchParams({ limit: String(s.page.size + 1) });
    if (s.page.after !== null) q.set('after', s.page.after);
    if (s.page.prefix) q.set('prefix', s.page.prefix);
    if (s.page.state) q.set('state', s.page.state);
    return '/profiles?' + q.toString();
  }

  function renderPager() {
    const shown = [...s.entities.values()].filter((e) => e.kind !== 'component').length;
    const first = s.page.stack.length * s.page.size + 1;
    byId('profiles-page').textContent = shown === 0
      ? 'no profile matches'
      : 'rows ' + first + '\u2013' + (first + shown - 1);
    byId('profiles-prev').disabled = s.page.stack.length === 0;
    byId('profiles-next').disabled = !s.page.hasNext;
  }

  function lastProfileName() {
    let last = null;
    for (const e of s.entities.values()) if (e.kind !== 'component' && (last === null || e.name.localeCompare(last) > 0)) last = e.name;
    return last;
  }

  function goTo(after, stack) {
    s.page.after = after;
    s.page.stack = stack;
    refresh().catch(fail);
  }

  // Many state changes at once (a fleet reconnecting) reload the page and counts at most once a second.
  function schedulePageRefresh() {
    if (s.pageRefresh !== null) return;
    s.pageRefresh = setTimeout(() => {
      s.pageRefresh = null;
      refresh().catch(fail);
    }, PAGE_REFRESH_MS);
  }

  async function refresh() {
    s.loading += 1;
    try {
      const [page, components, counts] = await Promise.all([
        api(profilesPath()), api('/components'), api('/profile-counts', { allowMissing: true }),
      ]);
      s.page.hasNext = page.length > s.page.size;
      const profiles = page.slice(0, s.page.size);
      s.counts = counts ?? null;
      s.entities.clear();
      for (const e of [...profiles, ...components]) {
        s.entities.set(e.name, e);
        if (e.state === 'auth-failed' && !s.errors.some((x) => x.source === e.kind + ' ' + e.name)) {
          addError(e.kind + ' ' + e.name, 'auth-failed' + (e.reason ? ': ' + e.reason : ''));
        }
      }
      renderEntities();
      renderPager();
      await Promise.all([refreshPolled(), refreshCache()]);
    } finally {
      s.loading -= 1;
      // Events that arrived while a snapshot was loading are newer than it: apply them in order.
      if (s.loading === 0) for (const [name, data] of s.queued.splice(0)) handleEvent(name, data);
    }
  }

  function onConnectionState(d) {
    const kind = d.kind === 'component' ? 'component' : 'client';
    const known = s.entities.get(d.name);
    if (kind === 'client') {
      // Counts change, and a profile off this page may now match it.
      schedulePageRefresh();
      if (!known) {
        if (d.state === 'auth-failed') addError(d.kind + ' ' + d.name, 'auth-failed' + (d.reason ? ': ' + d.reason : ''));
        return;
      }
    }
    const next = { ...(known ?? { jid: '', reconnectAttempts: 0 }), kind, name: d.name, state: d.state, reason: d.reason };
    s.entities.set(d.name, next);
    const old = s.rows.get(d.name);
    if (old) {
      const tr = entityRow(next);
      old.replaceWith(tr);
      s.rows.set(d.name, tr);
      scheduleSummary();
    } else {
      renderEntities();
    }
    if (d.state === 'auth-failed') addError(d.kind + ' ' + d.name, 'auth-failed' + (d.reason ? ': ' + d.reason : ''));
  }

  function scheduleCacheRefresh() {
    if (s.cacheRefresh !== null) return;
    s.cacheRefresh = setTimeout(() => {
      s.cacheRefresh = null;
      refreshCache().catch(fail);
    }, 500);
  }

  function handleEvent(name, d) {
    if (s.loading > 0) { s.queued.push([name, d]); return; }
    if (name === 'connectionState') onConnectionState(d);
    else if (name === 'runtimeError') addError(d.source, (d.code ? d.code + ': ' : '') + d.message);
    else if (name === 'storageUnhealthy') { addError('storage', d.reason); banner('Storage is unhealthy: ' + d.reason); }
    else if (name === 'storageHealthy') banner(null);
    else if (name === 'cacheSyncFailed') { addError('cache ' + d.profile, d.service + ' ' + d.node + ': ' + d.reason); scheduleCacheRefresh(); }
    else if (name === 'cacheSynced') scheduleCacheRefresh();
    else if (name === 'messageNew') byId('messages').textContent = String(Number(byId('messages').textContent) + 1);
  }

  function banner(text) {
    const b = byId('banner');
    b.hidden = text === null;
    b.textContent = text ?? '';
  }

  function live(on, text) {
    const pill = byId('live');
    pill.textContent = text;
    pill.className = 'pill ' + (on ? 'ok' : 'bad');
  }

  function openEvents() {
    const source = new EventSource('/events?token=' + encodeURIComponent(s.token));
    s.source = source;
    source.addEventListener('open', () => {
      live(true, 'live');
      refresh().catch(fail);
    });
    source.addEventListener('error', () => {
      live(false, 'live updates disconnected, retrying');
      // A refused token closes the stream for good; anything else is retried by the browser.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => { if (s.source === source) { refresh().then(openEvents, fail); } }, POLL_MS);
      }
    });
    for (const name of ['connectionState', 'messageNew', 'storageUnhealthy', 'storageHealthy', 'cacheSynced', 'cacheSyncFailed', 'runtimeError']) {
      source.addEventListener(name, (e) => handleEvent(name, JSON.parse(e.data)));
    }
  }

  function stop() {
    s.source?.close();
    s.source = null;
    clearInterval(s.timer);
    s.timer = null;
  }

  function fail(error) {
    if (error instanceof Unauthorised) {
      stop();
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('Unauthorised: the control API refused this token. Enter the token from the data folder\'s api-token file.');
      return;
    }
    banner('Could not reach the control API: ' + (error && error.message ? error.message : String(error)));
  }

  function showLogin(message) {
    byId('main').hidden = true;
    byId('logout').hidden = true;
    byId('login').hidden = false;
    byId('login-message').textContent = message ?? '';
    byId('login-message').hidden = !message;
    live(false, 'not connected');
  }

  async function start() {
    stop();
    banner(null);
    byId('login').hidden = true;
    byId('main').hidden = false;
    byId('logout').hidden = false;
    live(false, 'connecting');
    try {
      await refresh();
    } catch (error) {
      fail(error);
      if (error instanceof Unauthorised) return;
    }
    openEvents();
    s.timer = setInterval(() => {
      if (document.hidden) return;
      refreshPolled().catch(fail);
    }, POLL_MS);
  }

  function init() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fromHash) {
      sessionStorage.setItem(TOKEN_KEY, fromHash);
      history.replaceState(null, '', location.pathname + location.search);
    }
    byId('login').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = byId('token-input');
      const value = input.value.trim();
      input.value = '';
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      s.token = value;
      start();
    });
    byId('profiles-next').addEventListener('click', () => {
      const last = lastProfileName();
      if (last !== null) goTo(last, [...s.page.stack, s.page.after]);
    });
    byId('profiles-prev').addEventListener('click', () => {
      const stack = [...s.page.stack];
      goTo(stack.pop() ?? null, stack);
    });
    byId('profiles-filter').addEventListener('submit', (event) => event.preventDefault());
    const filtersChanged = () => {
      clearTimeout(s.filterTimer);
      s.filterTimer = setTimeout(() => {
        s.page.prefix = byId('profiles-prefix').value.trim();
        s.page.state = byId('profiles-state').value;
        goTo(null, []);
      }, 250);
    };
    byId('profiles-prefix').addEventListener('input', filtersChanged);
    byId('profiles-state').addEventListener('change', filtersChanged);
    byId('logout').addEventListener('click', () => {
      stop();
      sessionStorage.removeItem(TOKEN_KEY);
      s.token = null;
      showLogin('Token forgotten.');
    });
    s.token = sessionStorage.getItem(TOKEN_KEY);
    if (s.token) start();
    else showLogin(null);
  }

  init();
})();
`;
