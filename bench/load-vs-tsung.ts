/**
 * `npm run bench -- load-vs-tsung [--sessions 200] [--login-rate 20] [--msg-every 5] [--hold 20]`
 *
 * The same chat scenario driven by Aviary (`aviary bench load`, one process) and by Tsung 1.7
 * (Debian package `tsung`) against the same Prosody, one after the other in one run: N
 * sessions arriving at R logins/s, each sending K = hold ÷ T chat messages to a random online
 * user, one every T seconds (Aviary: T × U(0.5, 1.5) after a random start; Tsung: a fixed think
 * time), so both send N × K messages. Both log in with SASL PLAIN over plain-text loopback TCP (Tsung's jabber
 * plugin has no SCRAM), so the login work asked of each is the same.
 *
 * Measured from outside, the same way for both: sessions reached = most established TCP
 * connections to Prosody's c2s port (`ss`); achieved login rate = 90 % of that peak ÷ the time
 * from the first connection to 90 % of the peak; generator CPU (utime + stime of the generator's process group,
 * /proc; start-up of Node or of the Erlang VM excluded): from the first connection until the
 * peak number of sessions ÷ sessions reached (logins), and from then to the exit ÷ messages
 * sent (the few messages sent before the peak make this a slight overestimate, alike for both);
 * generator memory per session = (peak RSS − RSS before the first connection) ÷ sessions
 * reached. Messages sent come from each tool's own
 * count (Aviary's report, Tsung's `chat` transaction count).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../src/loadtest/index.js';
import { type ProsodyFixture, startProsody } from '../test/helpers/prosody.js';
import { type BenchRow, publish } from './report.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TSUNG = '/usr/bin/tsung';
const PAGE = 4096;
const TICKS = 100; // USER_HZ

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a number > 0`);
  return value;
}

interface Shape {
  readonly sessions: number;
  readonly loginRate: number;
  readonly msgEveryS: number;
  readonly holdS: number;
}

/**
 * CPU (ms) and RSS (bytes) of a process group. CPU is summed over every process ever seen in
 * the group at its last reading (`cpuByPid` keeps them), so a process that exits keeps its share.
 */
function groupUsage(pgid: number, cpuByPid: Map<number, number>): { cpuMs: number; rss: number } {
  let rss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
    cpuByPid.set(Number(entry), ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS); // utime, stime
    rss += Number(fields[21]) * PAGE;
  }
  let cpuMs = 0;
  for (const ms of cpuByPid.values()) cpuMs += ms;
  return { cpuMs, rss };
}

/** Established client connections to the c2s port. */
function connections(port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

interface Observed {
  readonly peakConnections: number;
  readonly loginRate: number | null;
  readonly cpuMs: number;
  /** CPU from the first connection to the moment the peak number of connections was reached. */
  readonly cpuToPeakMs: number;
  readonly rssBefore: number;
  readonly rssPeak: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a generator in its own process group and samples it from outside every 200 ms. */
async function observe(
  command: string,
  args: readonly string[],
  port: number,
  cwd: string,
): Promise<Observed> {
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const pgid = child.pid as number;
  let peak = 0;
  const counts: [number, number][] = [];
  let rssBefore = 0;
  let cpuBefore = 0;
  let cpuAtPeak = 0;
  let rssPeak = 0;
  let cpuMs = 0;
  const cpuByPid = new Map<number, number>();
  const sample = () => {
    const usage = groupUsage(pgid, cpuByPid);
    cpuMs = usage.cpuMs;
    const n = connections(port);
    const t = performance.now();
    counts.push([t, n]);
    if (n === 0 && counts.every(([, c]) => c === 0)) {
      rssBefore = usage.rss;
      cpuBefore = usage.cpuMs;
    }
    if (n > peak) {
      peak = n;
      cpuAtPeak = usage.cpuMs;
    }
    if (usage.rss > rssPeak) rssPeak = usage.rss;
  };
  const timer = setInterval(sample, 200);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  // Achieved rate: 90 % of the peak over the time from the first connection to reaching it
  // (sessions that already left make it a slight underestimate for a generator that closes early).
  const firstAt = counts.find(([, c]) => c > 0)?.[0];
  const ninetyAt = counts.find(([, c]) => c >= 0.9 * peak)?.[0];
  return {
    peakConnections: peak,
    loginRate:
      firstAt !== undefined && ninetyAt !== undefined && ninetyAt > firstAt
        ? (0.9 * peak * 1000) / (ninetyAt - firstAt)
        : null,
    cpuMs: cpuMs - cpuBefore,
    cpuToPeakMs: cpuAtPeak - cpuBefore,
    rssBefore,
    rssPeak,
    stdout,
    stderr,
    code,
  };
}

/** K: the messages each user sends. */
const messagesPerUser = (shape: Shape) => Math.max(1, Math.floor(shape.holdS / shape.msgEveryS));

function tsungConfig(prosody: ProsodyFixture, shape: Shape): string {
  const arrivalS = Math.ceil(shape.sessions / shape.loginRate);
  const loops = messagesPerUser(shape);
  return `<?xml version="1.0"?>
<!DOCTYPE tsung SYSTEM "/usr/share/tsung/tsung-1.0.dtd">
<tsung loglevel="warning" version="1.0">
  <clients><client host="localhost" use_controller_vm="true" maxusers="${shape.sessions + 10}"/></clients>
  <servers><server host="127.0.0.1" port="${prosody.c2sPort}" type="tcp"/></servers>
  <load>
    <!-- Twice the nominal arrival time: Tsung launches only within the phase, maxnumber stops it at N. -->
    <arrivalphase phase="1" duration="${2 * arrivalS + 5}" unit="second">
      <users maxnumber="${shape.sessions}" arrivalrate="${shape.loginRate}" unit="second"/>
    </arrivalphase>
  </load>
  <options>
    <option type="ts_jabber" name="global_number" value="${shape.sessions}"/>
    <option type="ts_jabber" name="userid_max" value="${shape.sessions}"/>
    <option type="ts_jabber" name="domain" value="${prosody.domain}"/>
    <option type="ts_jabber" name="username" value="ts"/>
    <option type="ts_jabber" name="passwd" value="pw"/>
  </options>
  <sessions>
    <session probability="100" name="chat" type="ts_jabber">
      <request><jabber type="connect" ack="local"/></request>
      <transaction name="login">
        <request><jabber type="auth_sasl" ack="local"/></request>
        <request><jabber type="connect" ack="local"/></request>
        <request><jabber type="auth_sasl_bind" ack="local"/></request>
        <request><jabber type="auth_sasl_session" ack="local"/></request>
      </transaction>
      <request><jabber type="presence:initial" ack="no_ack"/></request>
      <for from="1" to="${loops}" incr="1" var="i">
        <thinktime value="${shape.msgEveryS}" random="false"/>
        <transaction name="chat">
          <request><jabber type="chat" ack="no_ack" size="16" destination="online"/></request>
        </transaction>
      </for>
      <request><jabber type="close" ack="no_ack"/></request>
    </session>
  </sessions>
</tsung>
`;
}

/**
 * The total count of a transaction in tsung.log: its last `stats: NAME count mean stddev max
 * min mean_before count_before` line gives this interval's count plus the count before it.
 */
function tsungCount(logDir: string, name: string): number | null {
  const runs = readdirSync(logDir).map((d) => join(logDir, d));
  for (const run of runs) {
    const log = join(run, 'tsung.log');
    if (!existsSync(log)) continue;
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`stats: ${name} `));
    const last = lines.at(-1);
    if (last === undefined) return 0;
    const fields = last.trim().split(/\s+/);
    return Number(fields[2]) + Number(fields.at(-1));
  }
  return null;
}

function row(tool: string, shape: Shape, o: Observed, messages: number | null): BenchRow {
  const sessions = o.peakConnections;
  return {
    generator: tool,
    sessions_target: shape.sessions,
    sessions_reached: sessions,
    login_rate_set: shape.loginRate,
    login_rate_achieved: o.loginRate,
    messages_sent: messages,
    cpu_s_total: o.cpuMs / 1000,
    cpu_ms_per_session: sessions > 0 ? o.cpuToPeakMs / sessions : null,
    cpu_ms_per_message: messages ? (o.cpuMs - o.cpuToPeakMs) / messages : null,
    kb_per_session: sessions > 0 ? (o.rssPeak - o.rssBefore) / 1024 / sessions : null,
    exit: o.code,
  };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'npm run bench -- load-vs-tsung [--sessions 200] [--login-rate 20] [--msg-every 5] [--hold 20]\n',
    );
    return;
  }
  if (!existsSync(TSUNG))
    throw new Error(`Tsung is missing at ${TSUNG}; install it with: apt-get install -y tsung`);
  const shape: Shape = {
    sessions: option(args, 'sessions', 200),
    loginRate: option(args, 'login-rate', 20),
    msgEveryS: option(args, 'msg-every', 5),
    holdS: option(args, 'hold', 20),
  };
  const prosody = await startProsody({
    logLevel: 'warn',
    plainAuthInClear: true,
  });
  const dir = mkdtempSync(join(tmpdir(), 'aviary-vs-tsung-'));
  try {
    for (let i = 1; i <= shape.sessions; i++) {
      prosody.createUser(`av${i}`, `pw${i}`);
      prosody.createUser(`ts${i}`, `pw${i}`);
    }
    const arrivalS = Math.ceil(shape.sessions / shape.loginRate);
    process.stderr.write(`[load-vs-tsung] aviary: ${shape.sessions} sessions\n`);
    const aviary = await observe(
      process.execPath,
      [
        CLI,
        '--json',
        'bench',
        'load',
        '--domain',
        prosody.domain,
        '--port',
        String(prosody.c2sPort),
        '--tls',
        'off',
        '--mechanism',
        'PLAIN',
        '--no-register',
        '--users',
        String(shape.sessions),
        '--user-pattern',
        'av{n}',
        '--password-pattern',
        'pw{n}',
        '--login-rate',
        String(shape.loginRate),
        // The last user logs in at the end of the arrival and needs K × 1.5 T at most.
        '--duration',
        `${arrivalS + Math.ceil(1.5 * shape.holdS) + shape.msgEveryS}s`,
        '--param',
        `rate=${1 / shape.msgEveryS}`,
        '--param',
        `count=${messagesPerUser(shape)}`,
        '--param',
        'presenceEvery=0',
        '--param',
        'pingEvery=0',
        '--no-progress',
        '--report',
        join(dir, 'aviary'),
      ],
      prosody.c2sPort,
      dir,
    );
    const report = JSON.parse(aviary.stdout) as LoadReport;
    await new Promise((r) => setTimeout(r, 2000));
    process.stderr.write(`[load-vs-tsung] tsung: ${shape.sessions} sessions\n`);
    const config = join(dir, 'tsung.xml');
    writeFileSync(config, tsungConfig(prosody, shape));
    const logDir = join(dir, 'tsung-log');
    const tsung = await observe(
      TSUNG,
      ['-n', '-f', config, '-l', logDir, 'start'],
      prosody.c2sPort,
      dir,
    );
    const tsungMessages = tsungCount(logDir, 'tr_chat');
    const rows = [
      row('aviary bench load', shape, aviary, report.messages.sent),
      row('tsung 1.7.0', shape, tsung, tsungMessages),
    ];
    const [a, t] = rows as [BenchRow, BenchRow];
    const ratio = (key: string, higherIsBetter: boolean) => {
      const x = a[key];
      const y = t[key];
      if (typeof x !== 'number' || typeof y !== 'number' || x === 0 || y === 0) return null;
      return higherIsBetter ? x / y : y / x;
    };
    publish({
      name: 'load-vs-tsung',
      rows,
      summary: {
        shape: `${shape.sessions} sessions at ${shape.loginRate}/s, ${messagesPerUser(shape)} messages per user, 1 per ${shape.msgEveryS} s, PLAIN over loopback TCP`,
        sessions_ratio_aviary_over_tsung: ratio('sessions_reached', true),
        login_rate_ratio_aviary_over_tsung: ratio('login_rate_achieved', true),
        cpu_per_session_advantage_tsung_over_aviary: ratio('cpu_ms_per_session', false),
        cpu_per_message_advantage_tsung_over_aviary: ratio('cpu_ms_per_message', false),
        memory_per_session_advantage_tsung_over_aviary: ratio('kb_per_session', false),
        aviary_report_login_rate: report.logins.measuredRatePerSecond,
        aviary_errors: JSON.stringify(report.errors),
        tsung_exit: tsung.code,
        note: 'ratios > 1 mean Aviary is ahead; CPU per session = CPU until the peak of sessions ÷ sessions; CPU per message = CPU after it ÷ messages',
      },
    });
    if (tsung.code !== 0) process.stderr.write(`tsung stderr:\n${tsung.stderr}\n${tsung.stdout}\n`);
  } finally {
    if (args.includes('--keep')) process.stderr.write(`[load-vs-tsung] kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    await prosody.stop();
  }
}
