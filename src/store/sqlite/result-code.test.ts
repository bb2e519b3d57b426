import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from './connection.js';
import { sqliteCode } from './result-code.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('did not throw');
}

describe('sqliteCode', () => {
  it('names the primary code of an extended one', () => {
    const db = new Connection(':memory:');
    db.exec('CREATE TABLE t (x TEXT NOT NULL)');
    // SQLITE_CONSTRAINT_NOTNULL (1299) is SQLITE_CONSTRAINT (19) in its low byte.
    const err = thrownBy(() => db.prepare('INSERT INTO t VALUES (NULL)').run());
    assert.equal((err as { errcode?: unknown }).errcode, 1299);
    assert.equal(sqliteCode(err), 'SQLITE_CONSTRAINT');
    db.close();
  });

  const table: { name: string; err: unknown; code: string | undefined }[] = [
    { name: 'a busy database', err: Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 }), code: 'SQLITE_BUSY' },
    { name: 'a file that is not a database', err: Object.assign(new Error('x'), { code: 'ERR_SQLITE_ERROR', errcode: 26 }), code: 'SQLITE_NOTADB' },
    { name: 'a code SQLite may add later', err: Object.assign(new Error('x'), { code: 'ERR_SQLITE_ERROR', errcode: 99 }), code: 'SQLITE_99' },
    { name: 'an error that already has a SQLite code', err: Object.assign(new Error('x'), { code: 'SQLITE_CORRUPT' }), code: 'SQLITE_CORRUPT' },
    { name: 'a binding error from node', err: Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARG_TYPE' }), code: undefined },
    { name: 'a plain error', err: new Error('x'), code: undefined },
    { name: 'a thrown string', err: 'x', code: undefined },
  ];
  for (const { name, err, code } of table) {
    it(`answers ${code ?? 'nothing'} for ${name}`, () => assert.equal(sqliteCode(err), code));
  }
});
