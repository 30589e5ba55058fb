import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AviaryError } from '../errors.js';

export const KEY_FILE = 'secret.key';
/** Environment variable holding a base64 32-byte key (takes precedence over the key file). */
export const KEY_ENV = 'AVIARY_SECRET_KEY';
const VERSION_PREFIX = 'v1';

/**
 * Encrypts passwords and component secrets at rest with AES-256-GCM (NIST SP 800-38D): a random
 * 96-bit nonce per value, the 128-bit tag checked on decryption. The stored text is
 * `v1:<nonce b64>:<tag b64>:<ciphertext b64>`; the associated data binds a value to its owner
 * (e.g. `profile:alice`), so a ciphertext copied onto another profile does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32)
      throw new AviaryError('secret.bad-key', 'the secret key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  encrypt(plaintext: string, owner: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION_PREFIX,
      nonce.toString('base64'),
      tag.toString('base64'),
      body.toString('base64'),
    ].join(':');
  }

  /** A value derived from the key for `label` (HMAC-SHA256, hex): equal on every node sharing it. */
  derive(label: string): string {
    return createHmac('sha256', this.#key).update(label, 'utf8').digest('hex');
  }

  decrypt(stored: string, owner: string): string {
    const [version, nonce, tag, body] = stored.split(':');
    if (
      version !== VERSION_PREFIX ||
      nonce === undefined ||
      tag === undefined ||
      body === undefined
    ) {
      throw new AviaryError('secret.malformed', 'stored secret has an unknown format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64'));
      decipher.setAAD(Buffer.from(owner, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new AviaryError(
        'secret.undecryptable',
        `cannot decrypt the secret of ${owner}: wrong key (${KEY_ENV} or ${KEY_FILE}) or tampered data`,
        { cause },
      );
    }
  }
}

/**
 * The runtime's key: from `AVIARY_SECRET_KEY` (base64, 32 bytes) when set, else `DATA/secret.key`,
 * created with mode 0600 on first use (unless `create` is false: then a missing file is an
 * error). Losing the key loses the stored passwords.
 */
export function loadSecretBox(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  options: {
    readonly create?: boolean;
    /** A shared key file (cluster nodes): it must exist, it is never created. */
    readonly keyFile?: string | undefined;
  } = {},
): SecretBox {
  const fromEnv = env[KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) {
      throw new AviaryError(
        'secret.bad-key',
        `${KEY_ENV} must be 32 bytes in base64 (openssl rand -base64 32)`,
      );
    }
    return new SecretBox(key);
  }
  if (options.keyFile !== undefined) {
    // A configured key file is shared (cluster nodes): it must exist, it is never created here.
    let text: string;
    try {
      text = readFileSync(options.keyFile, 'utf8');
    } catch (cause) {
      throw new AviaryError('secret.bad-key', `cannot read security.keyFile ${options.keyFile}`, {
        cause,
      });
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32)
      throw new AviaryError(
        'secret.bad-key',
        `${options.keyFile} does not hold a 32-byte base64 key`,
      );
    return new SecretBox(key);
  }
  const path = join(dataDir, KEY_FILE);
  if (options.create === false && !existsSync(path)) {
    throw new AviaryError(
      'secret.bad-key',
      `${path} is missing: restore it from a backup, or set ${KEY_ENV} (without it the stored passwords cannot be read)`,
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32)
    throw new AviaryError('secret.bad-key', `${path} does not hold a 32-byte base64 key`);
  return new SecretBox(key);
}
