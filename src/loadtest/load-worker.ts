/**
 * One generator of a distributed run (`aviary bench worker`): connects to the controller,
 * receives the run spec and its slice, provisions its accounts, waits for the common go, runs
 * its share of the plan while streaming metric deltas every bucket, and sends its report.
 * If the controller goes away the worker stops its load and ends.
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { AviaryError } from '../errors.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import { type ControllerMessage, onMessages, sendMessage } from './generator-wire.js';
import type { LoadReport } from './load-report.js';
import { type LoadTestHandle, startLoadTest } from './load-runner.js';
import { optionsFromSpec } from './run-spec.js';

export interface WorkerOptions {
  /** `tcp://HOST:PORT` of the controller. */
  readonly controller: string;
  readonly token: string;
  readonly allowRemote?: boolean;
  readonly onError?: (kind: string, message: string) => void;
  readonly onEvent?: (line: string) => void;
}

/** Parses `tcp://HOST:PORT` (loopback unless `allowRemote`). */
export function parseControllerUrl(
  url: string,
  allowRemote: boolean,
): { host: string; port: number } {
  const match = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)\/?$/.exec(url);
  if (match === null)
    throw new AviaryError(
      'loadtest.bad-options',
      `bad controller URL ${url}: expected tcp://HOST:PORT`,
    );
  const host = match[1] as string;
  if (!isLoopbackHost(host) && !allowRemote)
    throw new AviaryError(
      'loadtest.remote-target',
      `refusing controller ${host}: loopback only without --allow-remote`,
    );
  return { host, port: Number(match[2]) };
}

/** @example const report = await runWorker({ controller: 'tcp://127.0.0.1:7000', token }); */
export function runWorker(options: WorkerOptions): Promise<LoadReport> {
  const address = parseControllerUrl(options.controller, options.allowRemote === true);
  return new Promise<LoadReport>((resolve, reject) => {
    const socket: Socket = connect(address);
    let handle: LoadTestHandle | undefined;
    let go: () => void = () => {};
    let streamer: NodeJS.Timeout | undefined;
    let finished = false;
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      clearInterval(streamer);
      handle?.stop();
      socket.destroy();
      reject(error);
    };
    socket.on('error', (error) =>
      fail(new AviaryError('loadtest.controller-lost', `controller: ${error.message}`)),
    );
    socket.on('close', () =>
      fail(new AviaryError('loadtest.controller-lost', 'the controller closed the connection')),
    );
    socket.on('connect', () =>
      sendMessage(socket, {
        type: 'hello',
        token: options.token,
        id: `${hostname()}:${process.pid}`,
      }),
    );
    onMessages<ControllerMessage>(socket, (message) => {
      if (message.type === 'refused') fail(new AviaryError('loadtest.refused', message.message));
      else if (message.type === 'go') go();
      else if (message.type === 'stop') handle?.stop();
      else if (message.type === 'start') {
        options.onEvent?.(`slice ${message.slice.index + 1}/${message.slice.count}: provisioning`);
        void (async () => {
          const load = await optionsFromSpec(message.spec, message.slice);
          const started = startLoadTest(load, {
            streaming: true,
            ...(options.onError === undefined ? {} : { onError: options.onError }),
            beforeLoad: () =>
              new Promise<void>((ready) => {
                go = () => {
                  streamer = setInterval(
                    () =>
                      sendMessage(socket, { type: 'metrics', delta: started.metrics().drain() }),
                    message.spec.bucketMs ?? 1000,
                  );
                  ready();
                };
                sendMessage(socket, { type: 'ready', accounts: started.progress().accounts });
              }),
          });
          handle = started;
          const report = await started.done;
          clearInterval(streamer);
          sendMessage(socket, { type: 'metrics', delta: started.metrics().drain() });
          sendMessage(socket, { type: 'done', report });
          finished = true;
          socket.end();
          resolve(report);
        })().catch((error: unknown) => {
          sendMessage(socket, { type: 'failed', message: (error as Error).message });
          fail(error as Error);
        });
      }
    });
  });
}
