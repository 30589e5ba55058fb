/**
 * `node dist/bench/_login-profile.js [--logins 600] [--tls] [--heap] [--out FILE]`: a CPU profile
 * (inspector) of plain-loopback (or, with `--tls`, verified STARTTLS with resumption) SCRAM
 * logins with cached keys against one Prosody, warm-up excluded; prints the top self-time
 * functions; `--heap` also writes a sampling allocation profile beside it. Not a benchmark (no baseline): it tells where a login's CPU goes.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { systemClock } from '../src/actors/clock.js';
import { createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';
import { createTlsSessionCache } from '../src/xmpp/tls-session-cache.js';
import { startProsody } from '../test/helpers/prosody.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const args = process.argv.slice(2);
const at = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const logins = Number(at('--logins', '600'));
const tls = args.includes('--tls');
const heap = args.includes('--heap');
const out = at('--out', `/tmp/login-${tls ? 'tls' : 'plain'}.cpuprofile`);
const users = Array.from({ length: logins }, (_, i) => ({ username: `u${i}`, password: `p${i}` }));
const prosody = await startProsody({ users, logLevel: 'warn', tlsSessionTickets: true });
const keys = createSaltedPasswordCache();
const sessions = createTlsSessionCache();
const login = async (i: number) => {
  const c = createClientConnection({
    jid: `u${i}@${prosody.domain}`,
    password: `p${i}`,
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: tls ? 'required' : 'off',
    tlsOptions: { ca: prosody.caCertPem },
    mechanisms: ['SCRAM-SHA-1'],
    saltedPasswordCache: keys,
    tlsSessionCache: sessions,
    clock: systemClock,
    timeoutMs: 30_000,
  });
  await c.connect();
  await c.disconnect();
};
const pool = async (n: number, concurrency: number) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await login(next++);
    }),
  );
};
try {
  await pool(logins, 100); // warm-up: Prosody's hashing, the key cache, the JIT
  await pool(logins, 100);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  if (heap)
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  const cpu0 = process.cpuUsage();
  await pool(logins, 100);
  const cpu = process.cpuUsage(cpu0);
  const { profile } = await session.post('Profiler.stop');
  if (heap) {
    const { profile: allocations } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(out.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(allocations));
  }
  writeFileSync(out, JSON.stringify(profile));
  const nodes = profile.nodes as ProfileNode[];
  const self = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const f = node.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const idle = self.get('(idle) :0') ?? 0;
  process.stdout.write(
    `${logins} logins, ${((cpu.user + cpu.system) / 1000 / logins).toFixed(3)} CPU-ms/login, ` +
      `(user ${(cpu.user / 1000 / logins).toFixed(3)}, system ${(cpu.system / 1000 / logins).toFixed(3)}), ` +
      `busy samples ${total - idle}, profile ${out}\n`,
  );
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45))
    process.stdout.write(`${((100 * hits) / (total - idle)).toFixed(1).padStart(5)} %  ${key}\n`);
} finally {
  await prosody.stop();
}
