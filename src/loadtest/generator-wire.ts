/**
 * The controller ↔ worker protocol of a distributed load run: newline-delimited JSON over one
 * TCP connection per worker. Every message is a plain object tagged by `type`.
 *
 *   worker → controller: hello (token) · ready (provisioned) · metrics (delta, every bucket) ·
 *                        done (its report) · failed (an error before the end)
 *   controller → worker: start (the run spec and the worker's slice) · go (all ready) · stop
 */
import type { Socket } from 'node:net';
import type { MetricsDelta } from './load-metrics.js';
import type { LoadReport } from './load-report.js';
import type { RunSpec } from './run-spec.js';

export type WorkerMessage =
  | { readonly type: 'hello'; readonly token: string; readonly id: string }
  | { readonly type: 'ready'; readonly accounts: number }
  | { readonly type: 'metrics'; readonly delta: MetricsDelta }
  | { readonly type: 'done'; readonly report: LoadReport }
  | { readonly type: 'failed'; readonly message: string };

export type ControllerMessage =
  | {
      readonly type: 'start';
      readonly spec: RunSpec;
      readonly slice: { readonly index: number; readonly count: number };
    }
  | { readonly type: 'go' }
  | { readonly type: 'stop' }
  | { readonly type: 'refused'; readonly message: string };

/** Longest accepted line (a worker's final report with its timeline fits easily). */
const MAX_LINE = 64 * 1024 * 1024;

/** Sends one message. */
export function sendMessage(socket: Socket, message: WorkerMessage | ControllerMessage): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onMessage` for each JSON line; a malformed or oversized line destroys the socket. */
export function onMessages<T>(socket: Socket, onMessage: (message: T) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE) {
      socket.destroy(new Error('message too long'));
      return;
    }
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim() !== '') {
        let message: T;
        try {
          message = JSON.parse(line) as T;
        } catch {
          socket.destroy(new Error('malformed message'));
          return;
        }
        onMessage(message);
      }
      newline = buffer.indexOf('\n');
    }
  });
}
