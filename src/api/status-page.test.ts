import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from './control-server.js';
import { STATUS_PAGE_CSP, statusPageRoutes } from './status-page.js';

const request: ApiRequest = {
  params: {},
  query: new URLSearchParams(),
  body: undefined,
  signal: new AbortController().signal,
};

async function serve(path: string) {
  const route = statusPageRoutes().find((r) => r.path === path);
  if (!route) throw new Error(`no route ${path}`);
  return { route, response: await route.handle(request) };
}

describe('status page routes', () => {
  it('serves the shell, script and style publicly with their content types', async () => {
    const expected = {
      '/ui': 'text/html',
      '/ui/app.js': 'text/javascript',
      '/ui/style.css': 'text/css',
    };
    for (const [path, type] of Object.entries(expected)) {
      const { route, response } = await serve(path);
      expect(route.method).toBe('GET');
      expect(route.auth).toBe(false);
      expect(response.contentType).toContain(type);
      expect(typeof response.body).toBe('string');
    }
  });

  it('has no inline script, inline style, event-handler attribute or external URL', async () => {
    const html = String((await serve('/ui')).response.body);
    expect(html).toContain(`content="${STATUS_PAGE_CSP}"`);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([' src="/ui/app.js" defer']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const path of ['/ui', '/ui/app.js', '/ui/style.css']) {
      expect(String((await serve(path)).response.body)).not.toMatch(/https?:\/\/|\/\/[a-z]/i);
    }
  });

  it('the CSP allows only same-origin sources and no eval', () => {
    expect(STATUS_PAGE_CSP).toContain("default-src 'self'");
    expect(STATUS_PAGE_CSP).toContain("script-src 'self'");
    expect(STATUS_PAGE_CSP).not.toMatch(/unsafe-(eval|inline)/);
  });

  it('the script parses and never writes markup from strings', async () => {
    const script = String((await serve('/ui/app.js')).response.body);
    expect(() => new Script(script)).not.toThrow();
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});
