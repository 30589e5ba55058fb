/**
 * Checks the process limits a load test runs into before it starts: the open-file limit
 * (one descriptor per session) and the loopback ephemeral-port range (one local port per
 * connection and source address). Node cannot raise RLIMIT_NOFILE itself, so a limit that is
 * too low gives a clear error naming the command to run.
 */
import { readFileSync } from 'node:fs';
import { AviaryError } from '../errors.js';

export interface SystemLimits {
  /** Soft and hard RLIMIT_NOFILE; undefined where /proc is not readable. */
  readonly openFiles?: { readonly soft: number; readonly hard: number };
  /** Size of net.ipv4.ip_local_port_range. */
  readonly ephemeralPorts?: number;
}

function parseLimit(value: string | undefined): number {
  return value === undefined || value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value);
}

/** Reads the limits from /proc (Linux); fields stay undefined elsewhere. */
export function readSystemLimits(
  read = (path: string) => readFileSync(path, 'utf8'),
): SystemLimits {
  let openFiles: SystemLimits['openFiles'];
  let ephemeralPorts: number | undefined;
  try {
    const line = read('/proc/self/limits')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [, soft, hard] = line?.match(/^Max open files\s+(\S+)\s+(\S+)/) ?? [];
    if (soft !== undefined) openFiles = { soft: parseLimit(soft), hard: parseLimit(hard) };
  } catch {}
  try {
    const [low, high] = read('/proc/sys/net/ipv4/ip_local_port_range')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined) ephemeralPorts = high - low + 1;
  } catch {}
  return {
    ...(openFiles === undefined ? {} : { openFiles }),
    ...(ephemeralPorts === undefined ? {} : { ephemeralPorts }),
  };
}

/**
 * Throws `loadtest.limit` when `connections` sessions cannot be opened: too few file
 * descriptors (with the `ulimit -n` to run) or too few ephemeral ports for the source addresses.
 *
 * @example assertLimits(readSystemLimits(), { connections: 5000, sourceAddresses: 1 });
 */
export function assertLimits(
  limits: SystemLimits,
  need: { readonly connections: number; readonly sourceAddresses: number },
): void {
  const fds = need.connections + 256;
  const files = limits.openFiles;
  if (files !== undefined && files.soft < fds) {
    const hint =
      files.hard >= fds
        ? `run "ulimit -n ${fds}" in the shell that starts it (the hard limit is ${files.hard})`
        : `raise the hard limit (now ${files.hard}) to at least ${fds}, e.g. "nofile" in /etc/security/limits.conf or LimitNOFILE= for a service, then "ulimit -n ${fds}"`;
    throw new AviaryError(
      'loadtest.limit',
      `the open-file limit is ${files.soft} but ${need.connections} sessions need about ${fds} descriptors: ${hint}`,
      { details: { soft: files.soft, hard: files.hard, needed: fds } },
    );
  }
  const ports = limits.ephemeralPorts;
  if (ports !== undefined && need.connections > ports * need.sourceAddresses * 0.9)
    throw new AviaryError(
      'loadtest.limit',
      `${need.connections} connections from ${need.sourceAddresses} source address(es) exceed the ephemeral port range (${ports} ports each): add source addresses in 127.0.0.0/8 or widen net.ipv4.ip_local_port_range`,
      { details: { ports, sourceAddresses: need.sourceAddresses } },
    );
}
