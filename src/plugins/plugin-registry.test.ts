import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import type { Plugin } from './plugin.js';
import { PluginRegistry } from './plugin-registry.js';

const plugin = (name: string, extra: Partial<Plugin> = {}): Plugin => ({
  name,
  modes: ['client', 'component'],
  setup: () => undefined,
  ...extra,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isAviaryError(error) ? error.code : 'not-aviary';
  }
}

describe('PluginRegistry', () => {
  it('validates names, modes and entry points, and refuses duplicates', () => {
    const registry = new PluginRegistry();
    expect(codeOf(() => registry.register(plugin('')))).toBe('plugin.invalid');
    expect(codeOf(() => registry.register(plugin('bad name')))).toBe('plugin.invalid');
    expect(codeOf(() => registry.register(plugin('x', { modes: [] })))).toBe('plugin.invalid');
    expect(codeOf(() => registry.register(plugin('x', { modes: ['server' as never] })))).toBe(
      'plugin.invalid',
    );
    expect(
      codeOf(() => registry.register(plugin('x', { modes: ['client'], entryPoint: true }))),
    ).toBe('plugin.invalid');
    const off = registry.register(plugin('x'));
    expect(codeOf(() => registry.register(plugin('x')))).toBe('plugin.duplicate');
    off();
    expect(registry.get('x')).toBeUndefined();
  });

  it('clients load every client plugin, dependencies first', () => {
    const registry = new PluginRegistry();
    registry.register(plugin('ui', { modes: ['client'], dependencies: ['core'] }));
    registry.register(plugin('core'));
    registry.register(plugin('bot', { modes: ['component'], entryPoint: true }));
    expect(registry.forClient().map((p) => p.name)).toEqual(['core', 'ui']);
  });

  it('components load only the entry point dependency tree; client-only recommendations are skipped', () => {
    const registry = new PluginRegistry();
    registry.register(plugin('e2ee', { modes: ['client'] }));
    registry.register(plugin('disco'));
    registry.register(plugin('unrelated'));
    registry.register(
      plugin('echo', {
        modes: ['component'],
        entryPoint: true,
        dependencies: ['disco'],
        recommendations: ['e2ee', 'absent'],
      }),
    );
    expect(registry.forComponent('echo').map((p) => p.name)).toEqual(['disco', 'echo']);
  });

  it('a required dependency without component mode, a missing one, or a cycle is a clear error', () => {
    const registry = new PluginRegistry();
    registry.register(plugin('e2ee', { modes: ['client'] }));
    registry.register(
      plugin('needs-e2ee', { modes: ['component'], entryPoint: true, dependencies: ['e2ee'] }),
    );
    registry.register(
      plugin('needs-ghost', { modes: ['component'], entryPoint: true, dependencies: ['ghost'] }),
    );
    registry.register(plugin('a', { modes: ['component'], entryPoint: true, dependencies: ['b'] }));
    registry.register(plugin('b', { dependencies: ['a'] }));
    expect(() => registry.forComponent('needs-e2ee')).toThrow(
      /e2ee does not support component mode \(needed by needs-e2ee\)/,
    );
    expect(() => registry.forComponent('needs-ghost')).toThrow(/ghost is missing/);
    expect(codeOf(() => registry.forComponent('a'))).toBe('plugin.cycle');
    expect(codeOf(() => registry.forComponent('nope'))).toBe('plugin.not-found');
    expect(codeOf(() => registry.forComponent('e2ee'))).toBe('plugin.invalid');
  });
});
