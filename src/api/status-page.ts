import type { Route } from './control-server.js';
import { STATUS_PAGE_SCRIPT } from './status-page-script.js';

/**
 * The status page's Content-Security-Policy: only same-origin script, style and connections; no
 * inline script or style, no eval, no plugins, no framing of other origins' forms. The control
 * server's routes cannot set response headers, so the policy is delivered by a `<meta>` element
 * (which browsers enforce the same way, except for `frame-ancestors`, `report-uri` and `sandbox`).
 */
export const STATUS_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The page shell: no data, no inline script or style; everything is filled in by `/ui/app.js`. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${STATUS_PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aviary status</title>
<link rel="stylesheet" href="/ui/style.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>Aviary</h1>
  <span id="live" class="pill bad">not connected</span>
  <span id="health" class="pill">health unknown</span>
  <span id="version" class="muted"></span>
  <span class="muted">messages since page load: <span id="messages">0</span></span>
  <button id="logout" type="button" hidden>Forget token</button>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<form id="login" hidden>
  <p id="login-message" class="banner" role="alert" hidden></p>
  <label>API token <input id="token-input" type="password" autocomplete="off" spellcheck="false"></label>
  <button type="submit">Open</button>
  <p class="muted">The token is in the <code>api-token</code> file of the data folder; it is kept in this tab only.</p>
</form>
<main id="main" hidden>
  <section>
    <h2>Profiles</h2><p id="profiles-summary" class="muted"></p>
    <form id="profiles-filter" class="pager">
      <label>Name starts with <input id="profiles-prefix" type="search" autocomplete="off" spellcheck="false"></label>
      <label>State <select id="profiles-state"><option value="">any</option><option>online</option><option>connecting</option><option>reconnecting</option><option>offline</option><option>auth-failed</option><option>stopped</option></select></label>
      <button id="profiles-prev" type="button" disabled>Previous</button>
      <span id="profiles-page" class="muted"></span>
      <button id="profiles-next" type="button" disabled>Next</button>
    </form>
    <table id="profiles"><thead><tr><th>Name</th><th>JID</th><th>State</th><th>Reason</th><th>Reconnects</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Components</h2><p id="components-summary" class="muted"></p>
    <table id="components"><thead><tr><th>Name</th><th>JID</th><th>State</th><th>Reason</th><th>Reconnects</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Mailbox depths (top 20)</h2><p id="actors-summary" class="muted"></p>
    <table id="actors"><thead><tr><th>Actor</th><th>Depth</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Cache nodes</h2><p id="cache-note" class="muted"></p>
    <table id="cache"><thead><tr><th>Profile</th><th>Service</th><th>Node</th><th>Type</th><th>Analyser</th><th>Sync state</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Recent errors</h2><p id="errors-empty" class="muted">None since the page was opened.</p>
    <table id="errors"><thead><tr><th>Time</th><th>Source</th><th>Message</th></tr></thead><tbody></tbody></table>
  </section>
</main>
</body>
</html>
`;

/** The page's style sheet (served, not inline, so the CSP needs no `'unsafe-inline'`). */
export const STATUS_PAGE_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --bad: #c62828; --warn: #b26a00; --line: #8884; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 0 1.5rem 2rem; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem; padding: .75rem 0; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.3rem; margin: 0 .5rem 0 0; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
.muted { opacity: .7; }
.pill { border-radius: 999px; padding: .1rem .6rem; border: 1px solid var(--line); font-size: .85rem; }
.pill.ok { color: #fff; background: var(--ok); border-color: var(--ok); }
.pill.bad { color: #fff; background: var(--bad); border-color: var(--bad); }
.banner { margin: .75rem 0; padding: .5rem .75rem; border-left: 4px solid var(--bad); background: #c628281a; }
form#login { margin: 2rem 0; display: grid; gap: .5rem; max-width: 32rem; }
input { font: inherit; padding: .3rem .4rem; margin-left: .5rem; width: 20rem; }
button { font: inherit; padding: .25rem .8rem; cursor: pointer; }
header button { margin-left: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; opacity: .8; }
td { word-break: break-word; }
.state { font-weight: 600; }
.state-online, .state-COMPLETED { color: var(--ok); }
.state-connecting, .state-reconnecting, .state-IN_PROGRESS { color: var(--warn); }
.state-auth-failed, .state-ERROR { color: var(--bad); }
.state-offline, .state-stopped { opacity: .7; }
.pager { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem; margin: .5rem 0; }
.pager input { width: 12rem; }
`;

function asset(path: string, body: string, contentType: string): Route {
  return { method: 'GET', path, auth: false, handle: () => ({ body, contentType }) };
}

/**
 * The status page: `GET /ui` (the shell), `/ui/app.js` and `/ui/style.css`, all public
 * because they hold no data. The page takes the API token from the URL fragment
 * (`/ui#token=...`, never sent to the server) or a login form, keeps it in sessionStorage, reads
 * `/profiles` (one page at a time, filtered by name prefix and state), `/profile-counts`,
 * `/components`, `/actors`, `/health` and `/cache/nodes` with the bearer header and follows
 * `/events` (server-sent events) to update rows live.
 *
 * @example
 * const server = new ControlServer({ token, routes: [...apiRoutes, ...statusPageRoutes()], log });
 * // then open http://127.0.0.1:PORT/ui#token=TOKEN
 */
export function statusPageRoutes(): readonly Route[] {
  return [
    asset('/ui', STATUS_PAGE_HTML, 'text/html; charset=utf-8'),
    asset('/ui/app.js', STATUS_PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
    asset('/ui/style.css', STATUS_PAGE_CSS, 'text/css; charset=utf-8'),
  ];
}
