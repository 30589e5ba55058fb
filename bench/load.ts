/**
 * `npm run bench -- load [--sessions 5000] [--login-rate 50] [--msg-rate 0.1] [--sample 200]
 *   [--sample-msg-rate 0.5] [--steady 15]` (`--sample 0` skips the comparison rows)
 *
 * The load harness itself against the local Prosody: sessions reached, login rate held, client
 * CPU per delivered message in the steady phase (all sessions online, paired chat at
 * `--msg-rate` per user). Then the same shape on a `--sample` of sessions three ways, in the
 * same run: the harness over plain text, the harness over verified STARTTLS, and a plain
 * `@xmpp/client` 0.14 script (STARTTLS unverified, SASL PLAIN: its SCRAM costs ~0.8 CPU-s per
 * login).
 */
import { loadavg } from 'node:os';
import { client as stockClient } from '@xmpp/client';
import xml, { type Element } from '@xmpp/xml';
import { scenario as chatScenario } from '../examples/scenarios/chat.js';
import { systemClock } from '../src/actors/clock.js';
import { type LoadReport, type LoadTestOptions, startLoadTest } from '../src/loadtest/index.js';
import { createTokenBucket } from '../src/xmpp/token-bucket.js';
import { type ProsodyFixture, startProsody } from '../test/helpers/prosody.js';
import { type BenchRow, exitWithUsageOnHelp, publish } from './report.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Shape {
  readonly sessions: number;
  readonly loginRate: number;
  readonly msgRate: number;
  readonly steadyS: number;
}

/** Runs the harness; measures CPU and deliveries between "all online" and the end of the load phase. */
async function harness(
  prosody: ProsodyFixture,
  shape: Shape,
  prefix: string,
  tls: 'off' | 'required',
) {
  const options: LoadTestOptions = {
    target: { host: '127.0.0.1', port: prosody.c2sPort, domain: prosody.domain },
    tls,
    ca: prosody.caCertPem,
    mechanisms: ['SCRAM-SHA-1'],
    accounts: {
      kind: 'pattern',
      username: `${prefix}{n}`,
      password: 'pw{n}',
      count: shape.sessions,
    },
    provisionConcurrency: 50,
    sessions: shape.sessions,
    loginRate: shape.loginRate,
    // Long enough for a slow machine; the steady window below ends the run with stop().
    durationMs: (10 * (shape.sessions / shape.loginRate) + shape.steadyS + 120) * 1000,
    settleMs: 5000,
    scenario: chatScenario,
    params: { rate: shape.msgRate, peer: 'paired', presenceEvery: 0, pingEvery: 10 },
    seed: 1,
  };
  const handle = startLoadTest(options);
  let window: { cpu: number; received: number; at: number; rss: number } | undefined;
  let end: { cpu: number; received: number; at: number } | undefined;
  const poll = setInterval(() => {
    const p = handle.progress();
    const c = p.counters;
    if (window === undefined && p.phase === 'load' && c.loginsOk + c.loginsFailed >= shape.sessions)
      window = {
        cpu: cpuMs(),
        received: c.received,
        at: performance.now(),
        rss: process.memoryUsage().rss,
      };
    const steadyOver =
      window !== undefined && performance.now() - window.at >= shape.steadyS * 1000;
    if (window !== undefined && end === undefined && (steadyOver || p.phase !== 'load')) {
      end = { cpu: cpuMs(), received: c.received, at: performance.now() };
      handle.stop();
    }
  }, 50);
  const report: LoadReport = await handle.done;
  clearInterval(poll);
  const delivered = window && end ? end.received - window.received : 0;
  return {
    report,
    cpu_ms_per_msg: window && end && delivered > 0 ? (end.cpu - window.cpu) / delivered : null,
    steady_msgs_per_s: window && end ? (delivered * 1000) / (end.at - window.at) : null,
    rss_mb_all_online: window ? window.rss / 2 ** 20 : null,
  };
}

/** The same shape with stock @xmpp/client sessions (accounts written to Prosody's data folder). */
async function stock(prosody: ProsodyFixture, shape: Shape) {
  const n = shape.sessions;
  for (let i = 0; i < n; i++) prosody.createUser(`stock${i}`, `pw${i}`);
  const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const bucket = createTokenBucket({
    ratePerSecond: shape.loginRate,
    burst: 1,
    clock: systemClock,
  });
  type Stock = ReturnType<typeof stockClient> & { send(element: Element): Promise<void> };
  const clients: Stock[] = [];
  const starts: number[] = [];
  let received = 0;
  let sent = 0;
  let failed = 0;
  const latencies: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await bucket.acquire();
        starts.push(performance.now());
        const x = stockClient({
          service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
          domain: prosody.domain,
          resource: 'load',
          credentials: (authenticate: (c: object, m: string) => Promise<void>) =>
            authenticate({ username: `stock${i}`, password: `pw${i}` }, 'PLAIN'),
          timeout: 30_000,
        } as never);
        x.on('error', () => {});
        x.on('stanza', (...eventArgs: unknown[]) => {
          const stanza = eventArgs[0] as Element;
          const t = stanza.is('message')
            ? stanza.getChild('load', 'urn:aviary:loadtest:0')?.attrs.t
            : undefined;
          if (t === undefined) return;
          received += 1;
          latencies.push(performance.now() - Number(t));
        });
        try {
          await x.start();
          // The stock client sends no initial presence; without it messages go offline.
          await (x as Stock).send(xml('presence'));
          clients[i] = x as Stock;
        } catch {
          failed += 1;
        }
      }),
    );
    const loginRate =
      starts.length > 1
        ? ((starts.length - 1) * 1000) / ((starts.at(-1) as number) - (starts[0] as number))
        : null;
    const cpu0 = cpuMs();
    const r0 = received;
    const t0 = performance.now();
    let running = true;
    const loops = clients.map(async (x, i) => {
      const peer = `stock${i ^ 1}@${prosody.domain}`;
      await sleep(Math.random() * (1000 / shape.msgRate));
      while (running) {
        await x
          .send(
            xml(
              'message',
              { to: peer, type: 'chat' },
              xml('body', {}, `hello ${sent}`),
              xml('load', { xmlns: 'urn:aviary:loadtest:0', t: performance.now().toFixed(3) }),
            ),
          )
          .then(
            () => {
              sent += 1;
            },
            () => undefined,
          );
        await sleep((1000 / shape.msgRate) * (0.5 + Math.random()));
      }
    });
    await sleep(shape.steadyS * 1000);
    running = false;
    await Promise.all(loops);
    const cpu = cpuMs() - cpu0;
    const wall = performance.now() - t0;
    await sleep(2000);
    const delivered = received - r0;
    latencies.sort((a, b) => a - b);
    return {
      online: clients.filter(Boolean).length,
      failed,
      loginRate,
      sent,
      received,
      cpu_ms_per_msg: delivered > 0 ? cpu / delivered : null,
      steady_msgs_per_s: (delivered * 1000) / wall,
      msg_p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? null,
    };
  } finally {
    await Promise.all(clients.filter(Boolean).map((x) => x.stop().catch(() => undefined)));
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
  }
}

function harnessRow(
  client: string,
  transport: string,
  shape: Shape,
  r: Awaited<ReturnType<typeof harness>>,
): BenchRow {
  const { report } = r;
  return {
    client,
    transport,
    sessions_target: shape.sessions,
    sessions_reached: report.sessions.peakOnline,
    login_failed: report.logins.failed,
    login_rate_set: shape.loginRate,
    login_rate_measured: report.logins.measuredRatePerSecond,
    msgs_sent: report.messages.sent,
    msgs_delivered: report.messages.received,
    steady_msgs_per_s: r.steady_msgs_per_s,
    cpu_ms_per_msg: r.cpu_ms_per_msg,
    msg_p99_ms: report.latencyMs.message?.p99 ?? null,
    login_p99_ms: report.latencyMs.login?.p99 ?? null,
    rss_mb_all_online: r.rss_mb_all_online,
    errors: Object.values(report.errors).reduce((a, b) => a + b, 0),
  };
}

export async function run(args: string[]): Promise<void> {
  exitWithUsageOnHelp(
    args,
    'usage: npm run bench -- load [--sessions 5000] [--sample 200] [--login-rate 50]\n' +
      '    [--msg-rate 0.1] [--sample-msg-rate 0.5] [--steady 15]\n' +
      '  --sessions/--login-rate/--msg-rate   the big run: sessions, logins/s, messages/s each\n' +
      '  --sample/--sample-msg-rate           the small baseline run in the same process\n' +
      '  --steady                             seconds of steady state measured\n',
  );
  const sessions = option(args, 'sessions', 5000);
  const sample = option(args, 'sample', 200);
  const loginRate = option(args, 'login-rate', 50);
  const msgRate = option(args, 'msg-rate', 0.1);
  const sampleMsgRate = option(args, 'sample-msg-rate', 0.5);
  const steadyS = option(args, 'steady', 15);
  const prosody = await startProsody({ logLevel: 'warn' });
  const rows: BenchRow[] = [];
  const phase = (name: string) =>
    process.stderr.write(`[load] ${name} at ${(performance.now() / 1000).toFixed(1)} s\n`);
  try {
    const big: Shape = { sessions, loginRate, msgRate, steadyS };
    const small: Shape = {
      sessions: sample,
      loginRate: Math.min(loginRate, 50),
      msgRate: sampleMsgRate,
      steadyS,
    };
    phase(`harness ${sessions} sessions, plain`);
    const main = await harness(prosody, big, 'big', 'off');
    rows.push(harnessRow('aviary harness', 'plain (loopback), SCRAM-SHA-1', big, main));
    if (sample === 0) {
      publish({ name: 'load', rows, summary: { errors_main: JSON.stringify(main.report.errors) } });
      return;
    }
    phase(`harness ${sample} sessions, plain`);
    rows.push(
      harnessRow(
        'aviary harness',
        'plain (loopback), SCRAM-SHA-1',
        small,
        await harness(prosody, small, 'sp', 'off'),
      ),
    );
    phase(`harness ${sample} sessions, STARTTLS`);
    rows.push(
      harnessRow(
        'aviary harness',
        'STARTTLS verified, SCRAM-SHA-1',
        small,
        await harness(prosody, small, 'st', 'required'),
      ),
    );
    phase(`stock @xmpp/client ${sample} sessions`);
    const s = await stock(prosody, small);
    rows.push({
      client: '@xmpp/client 0.14',
      transport: 'STARTTLS unverified, PLAIN',
      sessions_target: sample,
      sessions_reached: s.online,
      login_failed: s.failed,
      login_rate_set: small.loginRate,
      login_rate_measured: s.loginRate,
      msgs_sent: s.sent,
      msgs_delivered: s.received,
      steady_msgs_per_s: s.steady_msgs_per_s,
      cpu_ms_per_msg: s.cpu_ms_per_msg,
      msg_p99_ms: s.msg_p99,
      login_p99_ms: null,
      rss_mb_all_online: null,
      errors: null,
    });
    const tlsRow = rows[2];
    publish({
      name: 'load',
      rows,
      summary: {
        sessions_reached: main.report.sessions.peakOnline,
        login_rate_held: main.report.logins.measuredRatePerSecond,
        cpu_per_msg_ratio_stock_over_aviary_tls:
          s.cpu_ms_per_msg !== null && typeof tlsRow?.cpu_ms_per_msg === 'number'
            ? s.cpu_ms_per_msg / tlsRow.cpu_ms_per_msg
            : null,
        errors_main: JSON.stringify(main.report.errors),
        error_samples_main: JSON.stringify(main.report.errorSamples),
        load_average_1m: loadavg()[0] ?? null,
        note: 'CPU per message counts both ends (sender and receiver live in this process); stock uses PLAIN because its SCRAM costs ~0.8 CPU-s per login',
      },
    });
  } finally {
    await prosody.stop();
  }
}
