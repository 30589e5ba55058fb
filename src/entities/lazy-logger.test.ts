import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChild } from './lazy-logger.js';

/** A pino logger writing JSON lines into `lines`, and a count of the children made from it. */
function recording() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const root = pino({ level: 'debug', base: undefined, timestamp: false }, sink);
  let children = 0;
  // Counts every child made from the root or its descendants (they inherit this method).
  const child = root.child;
  root.child = function (this: pino.Logger, bindings: pino.Bindings, options?: object) {
    children++;
    return Reflect.apply(child, this, [bindings, options]) as pino.Logger;
  } as unknown as typeof root.child;
  return { root, lines, children: () => children };
}

describe('lazyChild', () => {
  it('makes no child until the logger is used', () => {
    const { root, children } = recording();
    lazyChild(root, { profile: 'alice' });
    expect(children()).toBe(0);
  });

  it('writes the records of a real child, bindings included', () => {
    const { root, lines, children } = recording();
    const log = lazyChild(root, { profile: 'alice' });
    log.warn({ n: 1 }, 'first');
    log.info('second');
    expect(children()).toBe(1);
    expect(lines).toEqual([
      { level: 40, profile: 'alice', n: 1, msg: 'first' },
      { level: 30, profile: 'alice', msg: 'second' },
    ]);
  });

  it('chains: a lazy child of a lazy child binds both, made on use', () => {
    const { root, lines, children } = recording();
    const entity = lazyChild(root, { profile: 'alice' });
    const plugin = lazyChild(entity, { plugin: 'mam' });
    expect(children()).toBe(0);
    plugin.error({ err: new Error('boom') }, 'archive not read');
    expect(lines[0]).toMatchObject({ level: 50, profile: 'alice', plugin: 'mam' });
    expect(lines[0]?.err).toMatchObject({ message: 'boom' });
    entity.debug('entity');
    expect(lines[1]).toEqual({ level: 20, profile: 'alice', msg: 'entity' });
    expect(children()).toBe(2);
  });

  it('drops records below the level without making the child, through lazy parents too', () => {
    const { root, lines, children } = recording();
    root.level = 'warn';
    const entity = lazyChild(root, { profile: 'alice' });
    const plugin = lazyChild(entity, { plugin: 'mam' });
    plugin.debug({ n: 1 }, 'dropped');
    entity.info('dropped too');
    expect(children()).toBe(0);
    expect(lines).toHaveLength(0);
    plugin.warn('kept');
    expect(children()).toBe(2);
    expect(lines).toEqual([{ level: 40, profile: 'alice', plugin: 'mam', msg: 'kept' }]);
  });

  it('reads and sets the level and bindings of the child; its own children work', () => {
    const { root, lines } = recording();
    const log = lazyChild(root, { profile: 'alice' });
    expect(log.level).toBe('debug');
    log.level = 'warn';
    log.info('dropped');
    expect(lines).toHaveLength(0);
    expect(log.bindings()).toEqual({ profile: 'alice' });
    expect(log.isLevelEnabled('error')).toBe(true);
    log.child({ room: 'r1' }).warn('kept');
    expect(lines).toEqual([{ level: 40, profile: 'alice', room: 'r1', msg: 'kept' }]);
    expect(root.level).toBe('debug');
  });
});
