import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ParserPool } from '../parsers/parser-pool.js';
import { liberviaEntry } from '../parsers/test-fixtures/atom-entries.js';
import { createAnalyserRegistry } from './analyser-registry.js';
import { builtinAnalysers, NS_TICKETS } from './builtin-analysers.js';

// Needs `npx tsc -p tsconfig.json` first: parser refs point at the compiled modules.
describe('builtin analysers', () => {
  const registry = createAnalyserRegistry();
  for (const analyser of builtinAnalysers()) registry.registerAnalyser(analyser);
  const pool = new ParserPool({ maxThreads: 1 });
  afterAll(() => pool.close());

  it('registers cleanly and points parsers at compiled JavaScript', () => {
    expect(registry.list().map((a) => [a.name, a.type])).toEqual([
      ['xep-0277', 'blog'],
      ['tickets', 'ticket'],
    ]);
    for (const analyser of registry.list()) {
      expect(fileURLToPath(analyser.parser!.module)).toMatch(/[/\\]dist[/\\].*\.js$/);
    }
  });

  it('types microblog nodes and marks comment nodes', async () => {
    const blog = await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' });
    expect(blog).toMatchObject({ name: 'xep-0277', type: 'blog', toSync: true });
    expect(blog?.subtype).toBeUndefined();
    expect(blog?.listPaths).toEqual([['tags']]);
    const comments = await registry.analyse({ nodeName: 'urn:xmpp:microblog:0:comments/abc' });
    expect(comments).toMatchObject({ type: 'blog', subtype: 'comment' });
    const atomElsewhere = await registry.analyse({
      nodeName: 'news',
      rootNamespace: 'http://www.w3.org/2005/Atom',
    });
    expect(atomElsewhere?.type).toBe('blog');
  });

  it('types ticket nodes by prefix only', async () => {
    expect((await registry.analyse({ nodeName: `${NS_TICKETS}_bugs` }))?.type).toBe('ticket');
    expect(
      await registry.analyse({ nodeName: 'config', rootNamespace: 'jabber:x:data' }),
    ).toBeUndefined();
  });

  it('runs both parsers in the pool through their refs', async () => {
    const blog = registry.get('XEP-0277')!;
    const [entry] = await pool.parseBatch(blog.parser!, [liberviaEntry]);
    expect(entry?.ok && (entry.value as { tags: string[] }).tags).toEqual(['release', 'xmpp']);
    const tickets = registry.get('tickets')!;
    const [ticket] = await pool.parseBatch(tickets.parser!, [
      '<x xmlns="jabber:x:data" type="submit"><field var="labels" type="list-multi"><value>a</value></field></x>',
    ]);
    expect(ticket?.ok && (ticket.value as { fields: unknown }).fields).toEqual({ labels: ['a'] });
  });
});
