/**
 * Conformance: `profile.update` (behind `aviary profile modify`) changes only the fields given,
 * clears host and port with null, journals its change (it survives a reopen) and fails alike on
 * both backends for a missing profile or a bad port or TLS policy.
 */
import { expect, it } from 'vitest';
import type { StorageRequest } from '../../../src/storage/messages.js';
import { describeBackends } from './backends.js';

describeBackends('profile.update', (open) => {
  it('changes the fields given, clears with null, and keeps the change across a reopen', async () => {
    const h = await open({ clockStart: 5_000 });
    await h.one({
      type: 'profile.create',
      name: 'alice',
      jid: 'alice@example.org',
      passwordCiphertext: 'v1:old',
      serverHost: '127.0.0.1',
      serverPort: 5222,
      tlsPolicy: 'disabled',
    });
    await h.one({ type: 'profile.create', name: 'bob', jid: 'bob@example.org' });
    expect(
      await h.one({
        type: 'profile.update',
        name: 'alice',
        serverPort: 5999,
        tlsPolicy: 'optional',
      }),
    ).toMatchObject({
      name: 'alice',
      passwordCiphertext: 'v1:old',
      serverHost: '127.0.0.1',
      serverPort: 5999,
      tlsPolicy: 'optional',
    });
    expect(
      await h.one({
        type: 'profile.update',
        name: 'alice',
        passwordCiphertext: 'v1:new',
        serverHost: null,
        serverPort: null,
      }),
    ).toMatchObject({
      passwordCiphertext: 'v1:new',
      serverHost: null,
      serverPort: null,
      tlsPolicy: 'optional',
    });
    // Nothing to change: the profile as it is.
    expect(await h.one({ type: 'profile.update', name: 'alice' })).toMatchObject({
      passwordCiphertext: 'v1:new',
    });
    // Another profile is untouched.
    expect(await h.one({ type: 'profile.get', name: 'bob' })).toMatchObject({
      serverHost: null,
      tlsPolicy: 'required',
    });

    const reopened = await h.reopen();
    expect(await reopened.one({ type: 'profile.get', name: 'alice' })).toMatchObject({
      passwordCiphertext: 'v1:new',
      serverHost: null,
      serverPort: null,
      tlsPolicy: 'optional',
    });
    await reopened.close();
  });

  it('fails with the same codes for a missing profile, a bad port and a bad TLS policy', async () => {
    const h = await open();
    await h.one({ type: 'profile.create', name: 'alice', jid: 'alice@example.org' });
    expect(await h.fail({ type: 'profile.update', name: 'nobody', serverPort: 5 })).toBe(
      'profile.not-found',
    );
    expect(await h.fail({ type: 'profile.update', name: 'alice', serverPort: 70_000 })).toBe(
      'storage.bad-argument',
    );
    expect(
      await h.fail({
        type: 'profile.update',
        name: 'alice',
        tlsPolicy: 'never',
      } as unknown as StorageRequest),
    ).toBe('storage.bad-argument');
    expect(await h.one({ type: 'profile.get', name: 'alice' })).toMatchObject({
      serverPort: null,
      tlsPolicy: 'required',
    });
    await h.close();
  });
});
