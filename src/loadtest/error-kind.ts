import { AviaryError } from '../errors.js';

/** How an error is counted in a load report: the AviaryError code, plus its XMPP condition. */
export function errorKind(error: unknown): string {
  if (error instanceof AviaryError) {
    const condition = error.details?.condition;
    return typeof condition === 'string' ? `${error.code}:${condition}` : error.code;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/** The message of an error, for the report's error samples. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
