import type { Plugin } from '../plugin.js';

/**
 * Example of a client-only plugin in the place end-to-end encryption takes (`sendMessageData`,
 * which may rewrite but not cancel): it marks outgoing messages `extra.e2ee = 'example'`. It
 * encrypts NOTHING, so the runtime registers it only when the configuration asks for it
 * (`plugins.enable: ["example-e2ee"]`). It keeps no state. It declares only `client` mode, so
 * it never runs for a component, even when a component's entry point recommends it.
 */
export function createExampleE2eePlugin(): Plugin {
  return {
    name: 'example-e2ee',
    modes: ['client'],
    description: 'marks outgoing messages as if they were encrypted, without encrypting (demo)',
    setup({ hooks }) {
      return hooks.register('sendMessageData', {
        plugin: 'example-e2ee',
        priority: 100,
        handler(message) {
          return {
            action: 'continue',
            message: { ...message, extra: { ...message.extra, e2ee: 'example' } },
          };
        },
      });
    },
  };
}
