package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// busyTimeout is how long a statement waits for another process's lock before failing.
const busyTimeout = 30 * time.Second

// ErrNewerSchema is returned (wrapped) by Open for a database written by a newer cidiff.
var ErrNewerSchema = errors.New("database schema is newer than this cidiff")

// DB is an open history database.
type DB struct {
	db   *sql.DB
	path string
	// Now returns the current time; tests replace it to pin scanned_at.
	Now func() time.Time
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order. Their names start with the version number
// ("0002_comparisons.sql"); versions must run 1, 2, 3, ... without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
	for i, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("embedded migration %s: want a name starting with %04d_", base, i+1)
		}
		data, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(data)})
	}
	return ms, nil
}

// SchemaVersion is the schema version this code writes: the number of embedded migrations.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // the embedded files are part of the binary; a bad name is a build mistake
	}
	return len(ms)
}

// dsn builds the driver's connection string. Pragmas go in the DSN (not db.Exec) so that every
// pooled connection gets them.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.Itoa(int(busyTimeout/time.Millisecond)))
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
		// NORMAL is safe against a killed process in WAL mode; only power loss can lose the
		// last commits, which the next scan re-reads anyway.
		q.Set("_synchronous", "NORMAL")
		q.Set("_foreign_keys", "on")
		// BEGIN IMMEDIATE: a writer takes the lock up front and waits (busy timeout) instead of
		// failing with SQLITE_BUSY when it upgrades a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens the history database at path, creating it if missing, and brings its schema up to
// date. A database from a newer cidiff is refused (ErrNewerSchema) without being modified.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("history database: empty path")
	}
	want := SchemaVersion()
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("history database %s: is a directory", path)
		}
		// Look before touching: a read-only connection changes nothing in the file, so a
		// database we must refuse stays byte-for-byte as it was.
		v, err := peekVersion(path)
		if err != nil {
			return nil, err
		}
		if v > want {
			return nil, fmt.Errorf("history database %s: schema version %d, this cidiff knows up to %d: %w (upgrade cidiff)", path, v, want, ErrNewerSchema)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("history database: %w", err)
	}

	sdb, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	db := &DB{db: sdb, path: path, Now: time.Now}
	if err := db.migrateRetrying(); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	return db, nil
}

// peekVersion returns the schema version of an existing file without changing anything in its
// directory. The version is SQLite's user_version, a field of the file header: when no WAL file
// holds newer pages, the header is read directly, because even a read-only connection to a
// WAL-mode database leaves -wal and -shm files behind. Otherwise (a WAL in use, or no version
// yet) a read-only connection gives the authoritative answer, and for a file without a version
// checks that it is empty rather than some other program's database.
func peekVersion(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("history database: %w", err)
	}
	var hdr [100]byte
	n, err := io.ReadFull(f, hdr[:])
	f.Close()
	if n == 0 {
		return 0, nil // an empty file is a new database
	}
	if err != nil || string(hdr[:16]) != "SQLite format 3\x00" {
		return 0, fmt.Errorf("history database %s: not a SQLite database", path)
	}
	v := int(binary.BigEndian.Uint32(hdr[60:64]))
	if st, err := os.Stat(path + "-wal"); v != 0 && (err != nil || st.Size() == 0) {
		return v, nil
	}

	sdb, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return 0, fmt.Errorf("history database %s: %w", path, err)
	}
	defer sdb.Close()
	// One read transaction, so both answers come from one snapshot even while another process
	// is migrating the file.
	tx, err := sdb.Begin()
	if err != nil {
		return 0, fmt.Errorf("history database %s: %w", path, err)
	}
	defer tx.Rollback()
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("history database %s: not a SQLite database: %w", path, err)
	}
	if v == 0 {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
			return 0, fmt.Errorf("history database %s: not a SQLite database: %w", path, err)
		}
		if n > 0 {
			return 0, fmt.Errorf("history database %s: a SQLite database with %d objects but no cidiff schema version; not a cidiff history", path, n)
		}
	}
	return v, nil
}

// migrateRetrying runs migrate, retrying while the file is busy. The busy timeout does not cover
// everything here: when several processes open a new file at once, SQLite can answer "database
// is locked" at once (no busy handler) to the ones that lose the race to switch it to WAL mode.
func (db *DB) migrateRetrying() error {
	deadline := time.Now().Add(busyTimeout)
	wait := 5 * time.Millisecond
	for {
		err := db.migrate(context.Background())
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || (se.Code != sqlite3.ErrBusy && se.Code != sqlite3.ErrLocked) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// migrate applies the migrations the database lacks, one transaction each. The version is read
// again inside each transaction, so two processes opening a new file at once do not both apply
// a migration.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := db.applyMigration(ctx, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m migration, known int) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v > known {
		return fmt.Errorf("schema version %d, this cidiff knows up to %d: %w (upgrade cidiff)", v, known, ErrNewerSchema)
	}
	if v >= m.version {
		return nil
	}
	if v != m.version-1 {
		return fmt.Errorf("schema version %d cannot take migration %s", v, m.name)
	}
	if m.version == 1 {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(db.Now())); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	// user_version lives in the file header and is part of the transaction.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.version)); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	return tx.Commit()
}

// Version returns the database's schema version.
func (db *DB) Version() (int, error) {
	var v int
	err := db.db.QueryRow(`PRAGMA user_version`).Scan(&v)
	return v, err
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close closes the database. The last connection to close checkpoints the WAL into the file.
func (db *DB) Close() error { return db.db.Close() }

// timeLayout is fixed-width so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}

func nullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func ptrString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func ptrInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
