/**
 * The KVS emulator's SQLite store: one table of items per space (plain keys, secrets, entities) with their
 * timestamps and expiry, and the prepared statements the emulator runs.
 */
import { DatabaseSync } from 'node:sqlite';

/** Opens (or creates) the store at `path` (`:memory:` for tests). */
export function openKvsStore(path: string) {
  const db = new DatabaseSync(path);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS items (
      space TEXT NOT NULL,
      entity TEXT NOT NULL DEFAULT '',
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expire_at INTEGER,
      PRIMARY KEY (space, entity, key)
    ) WITHOUT ROWID;
  `);
  const stmt = {
    get: db.prepare('SELECT * FROM items WHERE space = ? AND entity = ? AND key = ? AND (expire_at IS NULL OR expire_at > ?)'),
    upsert: db.prepare(`INSERT INTO items (space, entity, key, value, created_at, updated_at, expire_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (space, entity, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expire_at = excluded.expire_at,
      created_at = CASE WHEN items.expire_at IS NOT NULL AND items.expire_at <= excluded.updated_at THEN excluded.created_at ELSE items.created_at END`),
    del: db.prepare('DELETE FROM items WHERE space = ? AND entity = ? AND key = ?'),
    purge: db.prepare('DELETE FROM items WHERE expire_at IS NOT NULL AND expire_at <= ?'),
    listPrefix: db.prepare(
      "SELECT * FROM items WHERE space = 'kv' AND entity = '' AND substr(key, 1, length(?)) = ? AND (expire_at IS NULL OR expire_at > ?) ORDER BY key LIMIT ? OFFSET ?",
    ),
    listEntity: db.prepare("SELECT * FROM items WHERE space = 'entity' AND entity = ? AND (expire_at IS NULL OR expire_at > ?)"),
    listEntityWhere: db.prepare(
      "SELECT * FROM items WHERE space = 'entity' AND entity = ? AND (expire_at IS NULL OR expire_at > ?) AND json_extract(value, ?) = ?",
    ),
    allKeys: db.prepare("SELECT key FROM items WHERE space = 'kv' AND entity = '' AND (expire_at IS NULL OR expire_at > ?) ORDER BY key"),
  };
  return { db, stmt };
}
