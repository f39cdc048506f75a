package store_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/stretchr/testify/require"
)

func TestOpen(t *testing.T) {
	t.Run("FromScratch", func(t *testing.T) {
		db, path := openDB(t)
		v, err := db.Version()
		require.NoError(t, err)
		require.Equal(t, store.SchemaVersion(), v)
		require.GreaterOrEqual(t, v, 2)
		require.Equal(t, v, count(t, path, `SELECT count(*) FROM schema_migrations`))
		var mode string
		require.NoError(t, rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode))
		require.Equal(t, "wal", mode)
		require.NoError(t, db.Close())

		// Reopening applies nothing and keeps the version.
		db2, err := store.Open(path)
		require.NoError(t, err)
		defer db2.Close()
		v2, err := db2.Version()
		require.NoError(t, err)
		require.Equal(t, v, v2)
		require.Equal(t, v, count(t, path, `SELECT count(*) FROM schema_migrations`))
	})

	t.Run("FromV1", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v1.db")
		v1, err := os.ReadFile("migrations/0001_history.sql")
		require.NoError(t, err)
		raw := rawDB(t, path)
		// What a cidiff with only the first migration wrote.
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
			string(v1),
			`INSERT INTO schema_migrations VALUES (1, '0001_history.sql', '2026-01-01T00:00:00.000Z')`,
			`PRAGMA user_version = 1`,
			`INSERT INTO instances (id, name, url) VALUES (1, 'prod', '')`,
			`INSERT INTO jobs (id, instance_id, name) VALUES (1, 1, 'tvm/main')`,
			`INSERT INTO builds (id, instance_id, job_id, build_key, number, dir, result, completed, start, fingerprint,
				content_hash, link, scanned_at) VALUES (1, 1, 1, 'tvm/main#7', 7, '/j/7', 'FAILURE', 1,
				'2026-01-01T10:00:00.000Z', 'fp', 'h', '/j/7', '2026-01-01T11:00:00.000Z')`,
			`INSERT INTO steps (build_id, node_id, ordinal, kind, stage, label, identity_key, script_hash, status,
				exit_code, error, error_class, node, workspace, context, link) VALUES (1, '12', 0, 'sh', 'Build', 'make',
				'k', 'h', 'FAILURE', 2, 'script returned exit code 2', '', 'agent-1', '', '', '/j/7')`,
		} {
			_, err := raw.Exec(q)
			require.NoError(t, err, q)
		}
		require.NoError(t, raw.Close())

		db, err := store.Open(path)
		require.NoError(t, err)
		defer db.Close()
		v, err := db.Version()
		require.NoError(t, err)
		require.Equal(t, store.SchemaVersion(), v)
		runs, err := db.StepRuns("prod", "tvm/main", "Build", "make", 0)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, 7, *runs[0].Number)
		require.Equal(t, "agent-1", *runs[0].Node)
		// the v2 column exists and is empty for old rows
		require.Equal(t, 1, count(t, path, `SELECT count(*) FROM steps WHERE image IS NULL`))
		require.Equal(t, 0, count(t, path, `SELECT count(*) FROM comparisons`))
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		db, path := openDB(t)
		require.NoError(t, db.Close())
		raw := rawDB(t, path)
		_, err := raw.Exec(`PRAGMA user_version = 99`)
		require.NoError(t, err)
		require.NoError(t, raw.Close())
		before := snapshotDir(t, filepath.Dir(path))

		_, err = store.Open(path)
		require.ErrorIs(t, err, store.ErrNewerSchema)
		require.ErrorContains(t, err, path)
		require.ErrorContains(t, err, "99")
		require.Equal(t, before, snapshotDir(t, filepath.Dir(path)), "a refused database must not change")
	})

	t.Run("ErrNotCidiff", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		raw := rawDB(t, path)
		_, err := raw.Exec(`CREATE TABLE t (x)`)
		require.NoError(t, err)
		require.NoError(t, raw.Close())
		_, err = store.Open(path)
		require.ErrorContains(t, err, "not a cidiff history")
	})

	t.Run("ErrGarbage", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "garbage.db")
		data := []byte("this is not a database, just a text file that someone named .db\n")
		require.NoError(t, os.WriteFile(path, append(data, make([]byte, 4096)...), 0o644))
		before := snapshotDir(t, filepath.Dir(path))
		_, err := store.Open(path)
		require.ErrorContains(t, err, path)
		require.Equal(t, before, snapshotDir(t, filepath.Dir(path)))
	})

	t.Run("PathWithURISpecials", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "my history #1?x=y%20.db")
		db, err := store.Open(path)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = os.Stat(path)
		require.NoError(t, err, "the file is created under its exact name")
		db, err = store.Open(path)
		require.NoError(t, err)
		require.NoError(t, db.Close())
	})

	t.Run("ErrDirectory", func(t *testing.T) {
		_, err := store.Open(t.TempDir())
		require.ErrorContains(t, err, "is a directory")
	})
}

// snapshotDir hashes every file in dir, so that "unchanged" covers WAL and journal files too.
func snapshotDir(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string][32]byte{}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		m[e.Name()] = sha256.Sum256(data)
	}
	return m
}

// FuzzOpen feeds Open arbitrary file contents: it must answer with a database or an error that
// names the file, never panic, and never accept a file that claims a newer schema.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.db")
	db, err := store.Open(good)
	require.NoError(f, err)
	require.NoError(f, db.Close())
	data, err := os.ReadFile(good)
	require.NoError(f, err)
	f.Add([]byte{})
	f.Add(data)
	f.Add(data[:100])
	f.Add(data[:1024])
	newer := append([]byte(nil), data...)
	newer[63] = 99
	f.Add(newer)
	f.Add([]byte("SQLite format 3\x00garbage"))
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.db")
		require.NoError(t, os.WriteFile(path, content, 0o644))
		db, err := store.Open(path)
		if err != nil {
			require.Contains(t, err.Error(), path)
			return
		}
		defer db.Close()
		v, err := db.Version()
		require.NoError(t, err)
		require.Equal(t, store.SchemaVersion(), v)
		if len(content) >= 100 && string(content[:16]) == "SQLite format 3\x00" {
			claimed := int(content[60])<<24 | int(content[61])<<16 | int(content[62])<<8 | int(content[63])
			require.LessOrEqual(t, claimed, store.SchemaVersion(), "opened a database claiming version %d", claimed)
		}
	})
}
