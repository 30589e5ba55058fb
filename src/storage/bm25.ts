/**
 * Okapi BM25 over FTS4 `matchinfo(t, 'pcnalx')`, registered as the SQL function `bm25`.
 * sql.js ships FTS3/FTS4 but not FTS5, whose built-in `bm25()` this mirrors: the score is
 * negative, so `ORDER BY bm25(...)` ascending puts the best match first.
 * See https://www.sqlite.org/fts3.html#matchinfo and https://www.sqlite.org/fts5.html#the_bm25_function
 *
 * @example
 * SELECT rowid FROM t_fts WHERE t_fts MATCH ? ORDER BY bm25(matchinfo(t_fts, 'pcnalx'))
 */
const K1 = 1.2;
const B = 0.75;

/** Scores one row from its matchinfo blob; optional per-column weights (default 1). */
export function bm25(matchinfo: Uint8Array, ...weights: number[]): number {
  const view = new DataView(matchinfo.buffer, matchinfo.byteOffset, matchinfo.byteLength);
  const int = (i: number) => view.getUint32(i * 4, true);
  const phrases = int(0);
  const columns = int(1);
  const rows = int(2);
  const avgAt = 3;
  const lenAt = 3 + columns;
  const hitsAt = 3 + 2 * columns;
  let score = 0;
  for (let p = 0; p < phrases; p++) {
    for (let c = 0; c < columns; c++) {
      const base = hitsAt + 3 * (p * columns + c);
      const tf = int(base);
      const docsWithHit = int(base + 2);
      if (tf === 0) continue;
      const idf = Math.max(1e-6, Math.log((rows - docsWithHit + 0.5) / (docsWithHit + 0.5)));
      const avg = int(avgAt + c) || 1;
      const len = int(lenAt + c);
      const weight = weights[c] ?? 1;
      score += weight * idf * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / avg)));
    }
  }
  return -score;
}
