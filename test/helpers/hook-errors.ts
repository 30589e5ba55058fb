import type { RunnerTestFile as File, RunnerTestSuite as Suite, TestError } from 'vitest';

/** Errors of failed `beforeAll`/`afterAll` hooks in `suite` and the suites inside it. */
export function hookErrors(suite: Readonly<Suite | File>): TestError[] {
  const own = [...(suite.result?.errors ?? [])];
  const inner = suite.tasks.flatMap((t) => (t.type === 'suite' ? hookErrors(t) : []));
  return [...own, ...inner];
}
