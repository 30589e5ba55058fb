/**
 * A TCP proxy on 127.0.0.1 in front of a loopback server, for tests that break connections the
 * way a network does: `freeze()` keeps the sockets open but silently drops every byte in both
 * directions (a dead link), `cut()` resets every open connection, `refuse(true)` resets new ones
 * at once (the server looks unreachable until `refuse(false)`).
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: prosody.c2sPort });
 * // connect clients to 127.0.0.1:proxy.port …
 * proxy.freeze(); proxy.cut();
 * await proxy.stop();
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Drops every byte of the open connections from now on (they stay open). */
  freeze(): void;
  /** Resets every open connection (and ends a freeze: new connections flow). */
  cut(): void;
  /** While true, new connections are reset on arrival. */
  refuse(on: boolean): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  if (target.host !== '127.0.0.1' && target.host !== '::1')
    throw new Error(`the test proxy only forwards to loopback, not ${target.host}`);
  const pairs = new Set<{ client: Socket; server: Socket; frozen: boolean }>();
  let accepted = 0;
  let refusing = false;
  const server = createServer((client) => {
    accepted++;
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    const pair = { client, server: upstream, frozen: false };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const cut = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.server.resetAndDestroy();
    }
  };
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    freeze() {
      for (const pair of pairs) pair.frozen = true;
    },
    cut,
    refuse(on) {
      refusing = on;
    },
    async stop() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
