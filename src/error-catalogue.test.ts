import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, httpStatusFor, isCatalogued } from './error-catalogue.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-fixtures' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Literal codes given to an error constructor, an `AviaryError<...>` type or a code union. */
function raisedCodes(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /(?:new [A-Z]\w*Error|super|deserializeError\(\{[^}]*?code:)\s*\(?\s*'([a-z]+\.[a-z0-9-]+)'/g,
    /AviaryError<\s*([^>]+)>/g,
    /ErrorCode\s*=\s*([^;]+);/g,
    /\?\s*'([a-z]+\.[a-z0-9-]+)'\s*:\s*'([a-z]+\.[a-z0-9-]+)'/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      for (const group of match.slice(1)) {
        for (const code of group?.match(/'[a-z]+\.[a-z0-9-]+'/g) ?? [group ?? ''])
          if (/^'?[a-z]+\.[a-z0-9-]+'?$/.test(code)) found.add(code.replaceAll("'", ''));
      }
    }
  }
  return [...found];
}

describe('error catalogue', () => {
  it('lists every code raised in src/', () => {
    const missing = sourceFiles(SRC).flatMap((file) =>
      raisedCodes(readFileSync(file, 'utf8'))
        .filter((code) => !isCatalogued(code))
        .map((code) => `${code} (${file.slice(SRC.length)})`),
    );
    expect(missing, 'add these codes to ERROR_CATALOGUE').toEqual([]);
  });

  it('finds codes in constructors, type parameters and conditional codes', () => {
    const sample = [
      "throw new AviaryError('storage.bad-argument', 'x');",
      "class E extends AviaryError<'plugin.invalid' | 'plugin.cycle'> {}",
      "const code = c ? 'xmpp.policy-violation' : 'xmpp.stream-error';",
    ].join('\n');
    expect(raisedCodes(sample).sort()).toEqual([
      'plugin.cycle',
      'plugin.invalid',
      'storage.bad-argument',
      'xmpp.policy-violation',
      'xmpp.stream-error',
    ]);
  });

  it('gives each code its own status, and 500 to an unknown code', () => {
    expect(httpStatusFor('storage.unknown-profile')).toBe(404);
    expect(httpStatusFor('storage.profile-exists')).toBe(409);
    expect(httpStatusFor('storage.bad-argument')).toBe(400);
    expect(httpStatusFor('actor.mailbox-full')).toBe(503);
    expect(httpStatusFor('actor.ask-timeout')).toBe(504);
    expect(httpStatusFor('api.unauthorized')).toBe(401);
    expect(httpStatusFor('no.such-code')).toBe(500);
    // A suffix alone decides nothing: a code that merely ends like a 404 one is not one.
    expect(httpStatusFor('x.profile-not-found')).toBe(500);
  });

  it('has a meaning for every code', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE))
      expect(entry.meaning.length, code).toBeGreaterThan(10);
  });
});
