import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { KEY_FILE, loadSecretBox, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  it('round-trips, never stores the plaintext, and uses a fresh nonce each time', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const a = box.encrypt('hunter2-password', 'profile:alice');
    const b = box.encrypt('hunter2-password', 'profile:alice');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(Buffer.from(a.split(':')[3] ?? '', 'base64').toString()).not.toContain('hunter2');
    expect(box.decrypt(a, 'profile:alice')).toBe('hunter2-password');
  });

  it('refuses another owner, a wrong key and tampered data', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const stored = box.encrypt('s3cret', 'profile:alice');
    expect(() => box.decrypt(stored, 'profile:bob')).toThrow(/cannot decrypt/);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).decrypt(stored, 'profile:alice')).toThrow(
      /wrong key/,
    );
    const parts = stored.split(':');
    const body = Buffer.from(parts[3] ?? '', 'base64');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64');
    const tampered = parts.join(':');
    const error = (() => {
      try {
        box.decrypt(tampered, 'profile:alice');
      } catch (e) {
        return e;
      }
    })();
    expect(isAviaryError(error, 'secret.undecryptable')).toBe(true);
  });

  it('creates a 0600 key file once and reuses it; an environment key takes precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-key-'));
    const first = loadSecretBox(dir, {});
    const stored = first.encrypt('pw', 'x');
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(join(dir, KEY_FILE), 'utf8');
    expect(loadSecretBox(dir, {}).decrypt(stored, 'x')).toBe('pw');
    expect(readFileSync(join(dir, KEY_FILE), 'utf8')).toBe(keyText);
    const envBox = loadSecretBox(dir, {
      AVIARY_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(() => envBox.decrypt(stored, 'x')).toThrow();
    expect(() => loadSecretBox(dir, { AVIARY_SECRET_KEY: 'c2hvcnQ=' })).toThrow(/32 bytes/);
  });
});
