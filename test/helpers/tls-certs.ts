import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway CA and a server certificate signed by it. */
export interface TestCertificates {
  readonly caCertPem: string;
  readonly caCertPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * Makes a CA and a certificate for `names` (first is the CN, all go into subjectAltName) with
 * the `openssl` CLI, in `dir`. EC P-256 keys, valid for 2 days.
 */
export function makeTestCertificates(dir: string, names: readonly string[]): TestCertificates {
  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
  if (openssl === undefined)
    throw new Error('openssl not found; install with: apt-get install -y openssl');
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const p = (name: string) => join(dir, name);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('ca.key')]);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    p('ca.key'),
    '-days',
    '2',
    '-subj',
    '/CN=Aviary Test CA',
    '-out',
    p('ca.crt'),
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('server.ecparam.key')]);
  run(['pkcs8', '-topk8', '-nocrypt', '-in', p('server.ecparam.key'), '-out', p('server.key')]);
  run([
    'req',
    '-new',
    '-key',
    p('server.key'),
    '-subj',
    `/CN=${names[0]}`,
    '-out',
    p('server.csr'),
  ]);
  writeFileSync(
    p('server.ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`,
  );
  run([
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('server.ext'),
    '-out',
    p('server.crt'),
  ]);
  return {
    caCertPem: readFileSync(p('ca.crt'), 'utf8'),
    caCertPath: p('ca.crt'),
    certPath: p('server.crt'),
    keyPath: p('server.key'),
  };
}
