/**
 * What `npm pack` ships: the compiled runtime and its migrations, never a test, a test fixture or
 * a benchmark; and `dependencies` are exactly the packages the shipped code imports (test-only
 * ones live in devDependencies). Needs `npm run build` first (dist/).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  license: string;
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function packedFiles(): string[] {
  // --ignore-scripts: list what would be packed without running the prepack build.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return (report?.files ?? []).map((f) => f.path);
}

const isTestFile = (path: string) => /\.test\.|test-fixture/.test(path);

function shippedSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-fixtures' ? [] : shippedSources(path);
    return /\.c?ts$/.test(entry.name) && !/\.d\.c?ts$/.test(entry.name) && !isTestFile(path)
      ? [path]
      : [];
  });
}

/** Package names imported (statically or dynamically) by a source text. */
function importedPackages(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '');
  const specifiers = [
    ...code.matchAll(/^\s*(?:import|export)[^'"]*?from\s+'([^']+)'/gm),
    ...code.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) =>
      s
        .split('/')
        .slice(0, s.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

describe('the npm package', () => {
  it('ships the compiled runtime and migrations, and no test, fixture or benchmark file', () => {
    const files = packedFiles();
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/cli/main.js');
    // The bin: the CLI bundled into one file (its lazy chunks beside it), see scripts/.
    expect(pkg.bin.aviary).toBe('dist/cli/aviary.js');
    expect(files).toContain(pkg.bin.aviary);
    expect(files.some((f) => /^dist\/cli\/main-[\w-]+\.js$/.test(f))).toBe(true);
    expect(files).toContain('dist/src/actors/worker-host.js');
    expect(files).toContain('dist/src/runtime/storage-actor.js');
    // Parser threads start from a CommonJS entry that imports the ES module worker.
    expect(files).toContain('dist/src/parsers/parser-worker-entry.cjs');
    expect(files).toContain('dist/src/parsers/parser-worker.js');
    expect(files.some((f) => /^dist\/migrations\/0001_[a-z_]+\.js$/.test(f))).toBe(true);
    const unwanted = files.filter(
      (f) =>
        isTestFile(f) ||
        f.startsWith('test/') ||
        f.startsWith('bench/') ||
        f.startsWith('dist/test/') ||
        f.startsWith('dist/bench/') ||
        f.startsWith('dist/examples/') ||
        f.startsWith('src/') ||
        f.endsWith('.map'),
    );
    expect(unwanted).toEqual([]);
  });

  it('declares exactly the packages the shipped code imports as dependencies', () => {
    const used = new Set(
      shippedSources(join(ROOT, 'src'))
        .concat(shippedSources(join(ROOT, 'migrations')))
        .flatMap((file) => importedPackages(readFileSync(file, 'utf8'))),
    );
    const declared = new Set(Object.keys(pkg.dependencies));
    expect(
      [...used].filter((name) => !declared.has(name)).sort(),
      'imported, not declared',
    ).toEqual([]);
    expect(
      [...declared].filter((name) => !used.has(name)).sort(),
      'declared, not imported',
    ).toEqual([]);
  });

  it('has a scoped name with the aviary bin, and ships the AGPL text it declares', () => {
    // The unscoped name belongs to an unrelated package: `npx aviary` would run that one.
    expect(pkg.name).toMatch(/^@[a-z0-9-]+\/aviary$/);
    expect(Object.keys(pkg.bin)).toEqual(['aviary']);
    expect(pkg.license).toBe('AGPL-3.0-or-later');
    expect(packedFiles()).toContain('LICENSE');
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3, 19 November 2007/);
    expect(text).toMatch(/END OF TERMS AND CONDITIONS/);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const imported = [...readme.matchAll(/from '([^']+)';/g)].map((m) => m[1]);
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(name).toBe(pkg.name);
  });

  it('declares an engines range that includes the Node running the tests', () => {
    const minimum = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(minimum, pkg.engines.node).not.toBeNull();
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const [wantMajor, wantMinor] = [Number(minimum?.[1]), Number(minimum?.[2])];
    expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
  });

  it('keeps test-only packages out of the dependencies', () => {
    for (const name of ['vitest', 'fast-check', 'playwright-core', '@xmpp/client', '@xmpp/jid'])
      expect(Object.keys(pkg.dependencies), name).not.toContain(name);
  });
});
