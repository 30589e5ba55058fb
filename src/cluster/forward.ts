/**
 * Forwarding a control request to the node that owns the entity, over that node's control API
 * (its address advertised in `cluster_nodes`). Nodes authenticate each other with the cluster
 * API token: every node derives the same one from the shared secret key.
 */
import { AviaryError, deserializeError } from '../errors.js';

export interface ForwardTarget {
  readonly node: string;
  readonly apiUrl: string;
  readonly token: string;
}

/** Sends one request to `target` and returns its JSON answer, or throws the remote coded error. */
export async function forwardRequest(
  target: ForwardTarget,
  request: { method: 'GET' | 'POST'; path: string; body?: Record<string, unknown> },
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.apiUrl}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (cause) {
    throw new AviaryError(
      'cluster.forward-failed',
      `cannot reach node ${target.node} at ${target.apiUrl}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const text = await response.text();
  const body = text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  if (response.ok) return body;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string')
    throw deserializeError({ name: 'AviaryError', code: error.code, message: error.message });
  throw new AviaryError(
    'cluster.forward-failed',
    `node ${target.node} answered HTTP ${response.status}`,
  );
}
