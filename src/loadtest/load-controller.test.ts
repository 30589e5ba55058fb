import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onMessages, sendMessage } from './generator-wire.js';
import { startController } from './load-controller.js';
import type { LoadTestOptions } from './load-options.js';
import { parseControllerUrl } from './load-worker.js';
import type { RunSpec } from './run-spec.js';

const options: LoadTestOptions = {
  target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
  accounts: { kind: 'pattern', username: 'u{n}', password: 'p', count: 2 },
  sessions: 2,
  phases: [{ durationMs: 1000, rate: 2 }],
  scenario: { name: 's', run: async () => {} },
};
const spec = { target: options.target } as unknown as RunSpec;

describe('controller admission', () => {
  it('refuses a worker with a wrong token and says so', async () => {
    const events: string[] = [];
    const controller = await startController(spec, options, {
      workers: 1,
      host: '127.0.0.1',
      port: 0,
      token: 'right-token',
      onEvent: (line) => events.push(line),
    });
    const { host, port } = parseControllerUrl(controller.url, false);
    const socket = connect({ host, port });
    const reply = await new Promise<unknown>((resolve) => {
      onMessages(socket, resolve);
      socket.on('connect', () => sendMessage(socket, { type: 'hello', token: 'wrong', id: 't' }));
    });
    socket.destroy();
    expect(reply).toEqual({ type: 'refused', message: 'bad token' });
    expect(events.some((e) => e.includes('joined'))).toBe(false);
    expect(events[0]).toMatch(/^controller listening on tcp:\/\/127\.0\.0\.1:\d+/);
    controller.close();
    const report = await controller.done;
    expect(report.generators).toEqual([]);
    expect(report.verdict.passed).toBe(false);
  });

  it('listens and connects on loopback only unless allowRemote', async () => {
    await expect(
      startController(spec, options, { workers: 1, host: '0.0.0.0', port: 0 }),
    ).rejects.toThrow(/loopback only without --allow-remote/);
    expect(() => parseControllerUrl('tcp://10.1.2.3:7000', false)).toThrow(/--allow-remote/);
    expect(parseControllerUrl('tcp://[::1]:7000', false)).toEqual({ host: '::1', port: 7000 });
    expect(() => parseControllerUrl('http://127.0.0.1:7000', false)).toThrow(/tcp:\/\/HOST:PORT/);
  });
});
