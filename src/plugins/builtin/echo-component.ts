import type { Plugin } from '../plugin.js';

/**
 * Example component entry point (XEP-0114): a bot that answers every chat or normal message
 * with the same bodies, prefixed by "echo: ". Start it with
 * `aviary component add echo --jid echo.example.org --secret-env SECRET --entry-point echo-bot`.
 */
export const echoBotPlugin: Plugin = {
  name: 'echo-bot',
  modes: ['component'],
  entryPoint: true,
  recommendations: ['example-e2ee'],
  description: 'answers each message with its own text',
  setup({ host, hooks, log }) {
    return hooks.register('message_parse', {
      plugin: 'echo-bot',
      priority: -100,
      handler(message) {
        const bodies = Object.entries(message.message);
        if (bodies.length > 0 && (message.type === 'chat' || message.type === 'normal')) {
          const reply = Object.fromEntries(bodies.map(([lang, text]) => [lang, `echo: ${text}`]));
          host
            .sendMessage({ to: message.from, message: reply, type: message.type })
            .catch((error: unknown) =>
              log.warn({ err: error, to: message.from }, 'echo reply failed'),
            );
        }
        return { action: 'continue' };
      },
    });
  },
};
