import { describe, expect, it } from 'vitest';
import { classifyTaskError, type TaskFailureContext } from './parser-errors.js';

const context: TaskFailureContext = {
  closing: false,
  timedOut: false,
  parser: { module: '/p.js', export: 'parse' },
  items: 3,
  timeoutMs: 100,
};
const abortError = Object.assign(new Error('The task has been aborted'), { name: 'AbortError' });

describe('classifyTaskError', () => {
  it('maps each kind of rejection to its code, with details', () => {
    expect(classifyTaskError(abortError, { ...context, timedOut: true }).code).toBe(
      'parser.timeout',
    );
    expect(classifyTaskError(abortError, context).code).toBe('parser.aborted');
    expect(classifyTaskError(abortError, { ...context, closing: true }).code).toBe('parser.closed');
    expect(classifyTaskError(new Error('Task queue is at limit'), context).code).toBe(
      'parser.overloaded',
    );
    const crashed = classifyTaskError(new Error('worker exited with code: 3'), context);
    expect(crashed.code).toBe('parser.crashed');
    expect(crashed.message).toContain('worker exited with code: 3');
    expect(crashed.details).toEqual({ module: '/p.js', export: 'parse', items: 3 });
  });

  it('does not call a non-abort failure a timeout even if the deadline also passed', () => {
    expect(classifyTaskError(new Error('boom'), { ...context, timedOut: true }).code).toBe(
      'parser.crashed',
    );
  });
});
