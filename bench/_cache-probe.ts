/**
 * Measuring helpers of the cache benchmark: the ejabberd node's own CPU time (from /proc, so a
 * loaded machine does not hide where the CPU went), a pubsub client that times items requests,
 * and a sequential page probe that splits a page's time into the server's part (request sent →
 * first byte of the answer) and the rest (transfer and parsing of the stanza).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPubsubClient, NS, type PubsubClient } from '../src/pubsub/index.js';
import type { XmppClient } from '../test/cache/cache-setup.js';
import { type BenchRow, median } from './report.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU milliseconds (user + system) of a process and its threads, from /proc/PID/stat. */
function processCpuMs(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** A reader of the CPU used so far by the Erlang VM running `nodeName` (0 when not found). */
export function erlangCpu(nodeName: string): () => number {
  const pids = readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      return cmdline.includes(nodeName) && cmdline.includes('beam');
    } catch {
      return false;
    }
  });
  return () =>
    pids.reduce((sum, pid) => {
      try {
        return sum + processCpuMs(pid);
      } catch {
        return sum;
      }
    }, 0);
}

/** Whether an outgoing iq is an items request with RSM (a sync page). */
function isPageRequest(request: Parameters<XmppClient['iqCaller']['request']>[0]): boolean {
  const pubsub = request.getChild('pubsub', NS.pubsub);
  return pubsub?.getChild('items') !== undefined && pubsub.getChild('set', NS.rsm) !== undefined;
}

/** A pubsub client over `xmpp` that counts iqs and records each RSM page's reply time. */
export function timedPubsub(xmpp: XmppClient): {
  client: PubsubClient;
  iqs: () => number;
  pageReplyMs: number[];
} {
  let iqs = 0;
  const pageReplyMs: number[] = [];
  const client = createPubsubClient({
    iq: async (request, ms) => {
      iqs++;
      if (!isPageRequest(request)) return xmpp.iqCaller.request(request, ms);
      const t0 = performance.now();
      const reply = await xmpp.iqCaller.request(request, ms);
      pageReplyMs.push(performance.now() - t0);
      return reply;
    },
    timeoutMs: 60_000,
  });
  return { client, iqs: () => iqs, pageReplyMs };
}

/**
 * Pages through `node` one request at a time with pages of at most `max` items and reports,
 * per page, the time to the answer's first byte (the server's own time: it serialises the
 * whole stanza before writing it), the time to the parsed answer, and the server's CPU per
 * item. Nothing else may use `xmpp` meanwhile.
 */
export async function probePages(
  xmpp: XmppClient,
  serverCpu: () => number,
  service: string,
  node: string,
  max: number,
): Promise<BenchRow> {
  const socket = (xmpp as unknown as { socket: { on(e: 'data', f: () => void): void } }).socket;
  let firstByte = 0;
  socket.on('data', () => {
    if (firstByte === 0) firstByte = performance.now();
  });
  const pubsub = createPubsubClient({ iq: (r, ms) => xmpp.iqCaller.request(r, ms) });
  const ttfb: number[] = [];
  const reply: number[] = [];
  let items = 0;
  let after: string | undefined;
  const cpu0 = serverCpu();
  for (;;) {
    firstByte = 0;
    const t0 = performance.now();
    const page = await pubsub.getItems(service, node, { rsm: { max, after }, withElement: false });
    reply.push(performance.now() - t0);
    ttfb.push(firstByte - t0);
    items += page.items.length;
    after = page.rsm?.last;
    const done = page.rsm?.count !== undefined && items >= page.rsm.count;
    if (page.items.length === 0 || after === undefined || done) break;
  }
  firstByte = -1; // stop recording
  const serverMs = serverCpu() - cpu0;
  return {
    metric: `server: pages of max ${max}`,
    'items/page': Math.round(items / reply.length),
    'first byte p50 ms': median(ttfb),
    'answer p50 ms': median(reply),
    'server CPU ms/item': serverMs / items,
  };
}
