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
  request: { method: string; path: string; body?: unknown },
): Promise<unknown> {
  const { status, body } = await forwardHttp(target, request);
  if (status < 400) return body;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string')
    throw deserializeError({ name: 'AviaryError', code: error.code, message: error.message });
  throw new AviaryError('cluster.forward-failed', `node ${target.node} answered HTTP ${status}`);
}

/**
 * Sends one request to `target` and returns its HTTP status and JSON body as they are (a
 * coded error of the owner passes through unchanged); throws `cluster.forward-failed` only
 * when the node cannot be reached or answers something that is not JSON.
 */
export async function forwardHttp(
  target: ForwardTarget,
  request: { method: string; path: string; body?: unknown },
): Promise<{ status: number; body: unknown }> {
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
  try {
    return {
      status: response.status,
      body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined,
    };
  } catch (cause) {
    throw new AviaryError(
      'cluster.forward-failed',
      `node ${target.node} answered HTTP ${response.status} with a body that is not JSON`,
      { cause },
    );
  }
}
