import { AviaryError } from '../errors.js';
import type { Plugin, PluginMode } from './plugin.js';

/** Plugin problems found when registering or resolving (named plugin, what is wrong). */
export class PluginError extends AviaryError<
  'plugin.invalid' | 'plugin.duplicate' | 'plugin.not-found' | 'plugin.dependency' | 'plugin.cycle'
> {}

/**
 * The runtime's plugins. Clients load every client-mode plugin; a component loads only its entry
 * point and the entry point's dependency tree (required dependencies must support component mode;
 * recommendations that do not are skipped), so a client-only plugin — an end-to-end encryption
 * plugin, say — never runs for a component.
 */
export class PluginRegistry {
  readonly #plugins = new Map<string, Plugin>();

  /** Adds a plugin; returns the function that removes it. */
  register(plugin: Plugin): () => void {
    const name = plugin.name?.trim();
    if (!name || !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new PluginError(
        'plugin.invalid',
        `plugin name ${JSON.stringify(plugin.name)} must be letters, digits, ".", "_" or "-"`,
      );
    }
    if (
      !Array.isArray(plugin.modes) ||
      plugin.modes.length === 0 ||
      plugin.modes.some((m) => m !== 'client' && m !== 'component')
    ) {
      throw new PluginError(
        'plugin.invalid',
        `plugin ${name}: modes must list "client" and/or "component"`,
      );
    }
    if (plugin.entryPoint && !plugin.modes.includes('component')) {
      throw new PluginError(
        'plugin.invalid',
        `plugin ${name} is an entry point but does not support component mode`,
      );
    }
    if (typeof plugin.setup !== 'function')
      throw new PluginError('plugin.invalid', `plugin ${name} has no setup function`);
    if (this.#plugins.has(name))
      throw new PluginError('plugin.duplicate', `a plugin named ${name} is already registered`);
    this.#plugins.set(name, plugin);
    return () => {
      if (this.#plugins.get(name) === plugin) this.#plugins.delete(name);
    };
  }

  get(name: string): Plugin | undefined {
    return this.#plugins.get(name);
  }

  list(): Plugin[] {
    return [...this.#plugins.values()];
  }

  /** Every client-mode plugin, dependencies before dependants. */
  forClient(): Plugin[] {
    const order: Plugin[] = [];
    const visiting = new Set<string>();
    for (const plugin of this.#plugins.values()) {
      if (plugin.modes.includes('client'))
        this.#visit(plugin.name, 'client', order, visiting, [], true);
    }
    return order;
  }

  /** The entry point and its dependency tree, dependencies first. */
  forComponent(entryPoint: string): Plugin[] {
    const plugin = this.#plugins.get(entryPoint);
    if (plugin === undefined)
      throw new PluginError(
        'plugin.not-found',
        `no plugin named ${entryPoint} (component entry point)`,
      );
    if (!plugin.entryPoint)
      throw new PluginError(
        'plugin.invalid',
        `plugin ${entryPoint} is not a component entry point`,
      );
    const order: Plugin[] = [];
    this.#visit(entryPoint, 'component', order, new Set(), [], true);
    return order;
  }

  #visit(
    name: string,
    mode: PluginMode,
    order: Plugin[],
    visiting: Set<string>,
    path: string[],
    required: boolean,
  ): void {
    if (order.some((p) => p.name === name)) return;
    const plugin = this.#plugins.get(name);
    const via = path.length > 0 ? ` (needed by ${path.join(' → ')})` : '';
    if (plugin === undefined) {
      if (required) throw new PluginError('plugin.dependency', `plugin ${name} is missing${via}`);
      return;
    }
    if (!plugin.modes.includes(mode)) {
      if (required)
        throw new PluginError(
          'plugin.dependency',
          `plugin ${name} does not support ${mode} mode${via}`,
        );
      return; // a recommendation that does not fit this mode is skipped
    }
    if (visiting.has(name))
      throw new PluginError(
        'plugin.cycle',
        `plugin dependency cycle: ${[...path, name].join(' → ')}`,
      );
    visiting.add(name);
    for (const dependency of plugin.dependencies ?? [])
      this.#visit(dependency, mode, order, visiting, [...path, name], true);
    for (const recommended of plugin.recommendations ?? [])
      this.#visit(recommended, mode, order, visiting, [...path, name], false);
    visiting.delete(name);
    order.push(plugin);
  }
}
