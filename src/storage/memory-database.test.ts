import { describe, expect, it } from 'vitest';
import { loadSqlJs, SqlDatabase } from './sql-database.js';

describe('the sql.js database kept in memory', () => {
  it('opens empty and from an exported image, in memory, with every row', async () => {
    const sql = await loadSqlJs();
    const first = new SqlDatabase(sql);
    expect(first.inMemory).toBe(true);
    first.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    first.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t (v) SELECT 'row ' || i FROM n",
    );
    const image = first.export();
    first.close();
    const second = new SqlDatabase(sql, image);
    expect(second.inMemory).toBe(true);
    expect(second.get('SELECT count(*) AS n, max(v) AS top FROM t')).toEqual({
      n: 5000,
      top: 'row 999',
    });
    // Still writable, and exports again what it holds.
    second.run('INSERT INTO t (v) VALUES (?)', ['added']);
    const third = new SqlDatabase(sql, second.export());
    expect(third.get('SELECT count(*) AS n FROM t')).toEqual({ n: 5001 });
    second.close();
    third.close();
  });

  it('refuses an image that is not a database', async () => {
    const sql = await loadSqlJs();
    const garbage = new TextEncoder().encode('not a database at all, just text'.repeat(200));
    expect(() => new SqlDatabase(sql, garbage)).toThrow(/not a database|image/);
  });
});
