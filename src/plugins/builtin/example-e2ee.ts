import type { Plugin } from '../plugin.js';

/**
 * Example of a client-only plugin in the place end-to-end encryption takes (`sendMessageData`,
 * which may rewrite but not cancel): it marks outgoing messages `extra.e2ee = 'example'` and
 * counts what it touched. It declares only `client` mode, so it never runs for a component, even
 * when a component's entry point recommends it.
 */
export function createExampleE2eePlugin(seen: { touched: string[] } = { touched: [] }): Plugin {
  return {
    name: 'example-e2ee',
    modes: ['client'],
    description: 'marks outgoing messages as if they were encrypted (client only)',
    setup({ hooks, host }) {
      return hooks.register('sendMessageData', {
        plugin: 'example-e2ee',
        priority: 100,
        handler(message) {
          seen.touched.push(`${host.kind}:${host.name}:${message.uid}`);
          return {
            action: 'continue',
            message: { ...message, extra: { ...message.extra, e2ee: 'example' } },
          };
        },
      });
    },
  };
}
