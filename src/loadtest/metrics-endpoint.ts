/**
 * The HTTP endpoint Prometheus scrapes while a run goes: `GET /metrics` only, bound to loopback
 * unless `allowRemote` (the same rule as the target).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AviaryError } from '../errors.js';
import { isLoopbackHost } from '../xmpp/loopback.js';

export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** @example const ep = await startMetricsEndpoint({ host: '127.0.0.1', port: 0, render }); */
export async function startMetricsEndpoint(options: {
  host: string;
  port: number;
  allowRemote?: boolean;
  render: () => string;
}): Promise<MetricsEndpoint> {
  if (!isLoopbackHost(options.host) && options.allowRemote !== true)
    throw new AviaryError(
      'loadtest.remote-target',
      `refusing to serve metrics on ${options.host}: loopback only without --allow-remote`,
    );
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      .end(options.render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
