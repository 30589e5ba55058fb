/** Connection URLs of the PostgreSQL backend: recognised schemes and the redacted form. */

/** True for `postgres://…` and `postgresql://…`. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The URL without its password, for logs, `/health` and `aviary status`.
 *
 * @example
 * redactUrl('postgres://aviary:secret@db:5432/aviary'); // 'postgres://aviary:***@db:5432/aviary'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
