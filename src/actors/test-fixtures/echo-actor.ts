/**
 * Behaviours loaded by worker-thread tests and the kernel benchmark (compiled to dist/).
 * Message: `{ type: 'echo', value, replyTo }`, `{ type: 'count' }`, `{ type: 'total', replyTo }`,
 * `{ type: 'throw', replyTo? }` (handler throws), `{ type: 'exit' }` (the worker thread dies).
 */
import type { Behavior, ReplyTo } from '../types.js';

export type EchoMessage =
  | { readonly type: 'echo'; readonly value: unknown; readonly replyTo: ReplyTo<unknown> }
  | { readonly type: 'count' }
  | { readonly type: 'total'; readonly replyTo: ReplyTo<number> }
  | { readonly type: 'throw'; readonly replyTo?: ReplyTo<unknown> }
  | { readonly type: 'fail-typed'; readonly replyTo: ReplyTo<unknown> }
  | { readonly type: 'exit' };

export function makeEchoActor(args: { start?: number } = {}): Behavior<EchoMessage> {
  let total = args.start ?? 0;
  return {
    async receive(message, ctx) {
      switch (message.type) {
        case 'echo':
          ctx.reply(message.replyTo, message.value);
          break;
        case 'count':
          total++;
          break;
        case 'total':
          ctx.reply(message.replyTo, total);
          break;
        case 'throw':
          throw new Error('boom');
        case 'fail-typed': {
          const { AviaryError } = await import('../../errors.js');
          ctx.replyError(
            message.replyTo,
            new AviaryError('test.typed', 'typed failure', { details: { n: 1 } }),
          );
          break;
        }
        case 'exit':
          process.exit(3);
      }
    },
  };
}
