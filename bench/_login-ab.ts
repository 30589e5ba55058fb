/**
 * `node dist/bench/_login-ab.js [--rounds 10] [--logins 400] [--tls 250] [--hold N] ROOT...`: the same-run
 * comparison of login CPU between builds of Aviary (each ROOT a checkout with `dist/` built,
 * the first the baseline), all loaded into ONE process against ONE Prosody, in alternating
 * rounds (order reversed every other round, garbage collected before each), so the neighbours'
 * load on a shared machine hits every build alike. Rows: plain loopback and verified STARTTLS
 * with resumption, SCRAM-SHA-1, keys cached, connect and disconnect, 100 in flight. Prints CPU
 * per login per round, medians, and the medians of the per-round ratios to the baseline; with
 * `--hold N`, also the heap retained per idle connected profile (N plain logins held online).
 * A tool for measuring a change, not a benchmark of the suite (no JSON). Needs `--expose-gc`
 * (`node --expose-gc dist/bench/_login-ab.js /path/to/baseline .`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { median } from './report.js';

interface Build {
  readonly root: string;
  readonly create: (options: Record<string, unknown>) => {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
  };
  readonly keys: unknown;
  readonly sessions: unknown;
  readonly clock: unknown;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = option('--rounds', 10);
const logins = option('--logins', 400);
const tlsLogins = option('--tls', 250);
const hold = option('--hold', 0);
const roots = args
  .filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'))
  .map((a) => resolve(a));
const gc = (globalThis as { gc?: () => void }).gc;
if (roots.length < 2 || gc === undefined) {
  process.stderr.write('usage: node --expose-gc dist/bench/_login-ab.js BASELINE_ROOT ROOT...\n');
  process.exit(2);
}

const load = async (root: string): Promise<Build> => {
  const from = async (module: string) =>
    (await import(`${root}/dist/src/xmpp/${module}.js`)) as Record<string, () => unknown>;
  const connection = await from('client-connection');
  return {
    root,
    create: connection.createClientConnection as unknown as Build['create'],
    keys: (await from('scram')).createSaltedPasswordCache?.(),
    sessions: (await from('tls-session-cache')).createTlsSessionCache?.(),
    clock: ((await import(`${root}/dist/src/actors/clock.js`)) as { systemClock: unknown })
      .systemClock,
  };
};
const builds = await Promise.all(roots.map(load));
const { startProsody } = (await import(`${roots[0]}/dist/test/helpers/prosody.js`)) as {
  startProsody: typeof import('../test/helpers/prosody.js').startProsody;
};
const users = Array.from({ length: Math.max(logins, tlsLogins) }, (_, i) => ({
  username: `u${i}`,
  password: `p${i}`,
}));
const prosody = await startProsody({ users, logLevel: 'warn', tlsSessionTickets: true });
const login = (build: Build, tls: boolean) => async (i: number) => {
  const c = build.create({
    jid: `u${i}@${prosody.domain}`,
    password: `p${i}`,
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: tls ? 'required' : 'off',
    tlsOptions: { ca: prosody.caCertPem },
    mechanisms: ['SCRAM-SHA-1'],
    saltedPasswordCache: build.keys,
    tlsSessionCache: build.sessions,
    clock: build.clock,
    timeoutMs: 30_000,
  });
  await c.connect();
  await c.disconnect();
};
const pool = async (n: number, fn: (i: number) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < n) await fn(next++);
    }),
  );
};
const cpuPerLogin = async (n: number, fn: (i: number) => Promise<void>) => {
  gc();
  gc();
  const cpu0 = process.cpuUsage();
  await pool(n, fn);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / n;
};
try {
  // Warm-up: Prosody's password conversion, the key and ticket caches, the JIT of every build.
  for (const build of builds) {
    await pool(logins, login(build, false));
    await pool(tlsLogins, login(build, true));
  }
  const plain = builds.map(() => [] as number[]);
  const tls = builds.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    const order = [...builds.keys()];
    if (round % 2 === 1) order.reverse();
    for (const k of order)
      plain[k]?.push(await cpuPerLogin(logins, login(builds[k] as Build, false)));
    for (const k of order)
      tls[k]?.push(await cpuPerLogin(tlsLogins, login(builds[k] as Build, true)));
  }
  const show = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`load average ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
  for (const [k, build] of builds.entries()) {
    const p = plain[k] ?? [];
    const t = tls[k] ?? [];
    process.stdout.write(
      `${build.root}: plain ${median(p).toFixed(3)} CPU-ms/login [${show(p)}]; ` +
        `STARTTLS resumed ${median(t).toFixed(3)} [${show(t)}]\n`,
    );
  }
  for (const build of hold > 0 ? builds : []) {
    const held: Array<{ disconnect(): Promise<void> }> = [];
    gc();
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    await pool(hold, async (i) => {
      const c = build.create({
        jid: `u${i}@${prosody.domain}`,
        password: `p${i}`,
        server: { host: '127.0.0.1', port: prosody.c2sPort },
        tls: 'off',
        mechanisms: ['SCRAM-SHA-1'],
        saltedPasswordCache: build.keys,
        clock: build.clock,
        timeoutMs: 30_000,
      });
      await c.connect();
      held.push(c);
    });
    gc();
    gc();
    const perProfile = (process.memoryUsage().heapUsed - heap0) / 1024 / hold;
    process.stdout.write(`${build.root}: ${perProfile.toFixed(2)} KB heap per idle profile\n`);
    await Promise.all(held.map((c) => c.disconnect()));
    // Let the closed sockets go before the next build's baseline heap.
    await new Promise((r) => setTimeout(r, 2000));
  }
  const base = { plain: plain[0] ?? [], tls: tls[0] ?? [] };
  for (let k = 1; k < builds.length; k++) {
    const ratios = (xs: readonly number[], of: readonly number[]) =>
      median(xs.map((x, i) => x / (of[i] ?? Number.NaN)));
    process.stdout.write(
      `${builds[k]?.root} / baseline, median of per-round ratios: plain ` +
        `${ratios(plain[k] ?? [], base.plain).toFixed(3)}, STARTTLS ${ratios(tls[k] ?? [], base.tls).toFixed(3)}\n`,
    );
  }
} finally {
  await prosody.stop();
}
