/**
 * Strict XEP-0082 DateTime parsing: `CCYY-MM-DDThh:mm:ss[.sss]TZD`, where `TZD` is `Z` or
 * `±hh:mm`. Anything else (a missing zone, a date alone, out-of-range fields, 31 April) is
 * rejected rather than guessed, because `Date.parse` accepts and "repairs" far more.
 *
 * @see https://xmpp.org/extensions/xep-0082.html#sect-idm45723967531424 (DateTime profile)
 */

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch for a XEP-0082 DateTime, or `undefined` when the text is not
 * one. Fractions beyond milliseconds are truncated; a leap second (`:60`) is accepted and
 * lands on the next minute's first instant.
 *
 * @example
 * parseXmppDateTime('2002-09-10T23:08:25Z'); // 1031699305000
 * parseXmppDateTime('2002-09-10 23:08:25'); // undefined
 */
export function parseXmppDateTime(text: string): number | undefined {
  const m = DATETIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; XEP-0082 years are literal.
  const fixed = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return fixed - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
