-- Schema version 1: the build history recorded by `cidiff scan`.
--
-- Times are TEXT in the fixed-width UTC form 2006-01-02T15:04:05.000Z, so that text order is
-- time order and substr(t, 1, 10) is the UTC day. Durations are INTEGER milliseconds.
-- Children of a build cascade on delete; a rescan of a changed build keeps the build's id and
-- replaces every child row in one transaction.

CREATE TABLE instances (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	-- url is the controller base URL given to the last scan ('' when none).
	url  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY,
	instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	UNIQUE (instance_id, name)
);

CREATE TABLE builds (
	id           INTEGER PRIMARY KEY,
	instance_id  INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
	job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	-- build_key identifies the build within its instance: "<job>#<number>", or "dir:<dir>"
	-- when the directory name is not a number.
	build_key    TEXT NOT NULL,
	number       INTEGER,
	dir          TEXT NOT NULL,
	result       TEXT,
	completed    INTEGER NOT NULL,
	start        TEXT,
	duration_ms  INTEGER NOT NULL DEFAULT 0,
	revision     TEXT,
	branch       TEXT,
	remote       TEXT,
	pr_number    INTEGER,
	pr_head      TEXT,
	pr_base      TEXT,
	pr_merge     TEXT,
	pr_target    TEXT,
	layout       TEXT,
	-- problems are the reader's non-fatal problems, one a line.
	problems     TEXT NOT NULL DEFAULT '',
	-- fingerprint is the cheap stat of the build directory taken before reading it (see
	-- fingerprint in scan.go); content_hash the hash of what was read.
	fingerprint  TEXT NOT NULL,
	content_hash TEXT NOT NULL,
	link         TEXT NOT NULL,
	scanned_at   TEXT NOT NULL,
	UNIQUE (instance_id, build_key)
);
CREATE INDEX builds_job_start ON builds (job_id, start);
CREATE INDEX builds_start ON builds (start);

CREATE TABLE parameters (
	build_id  INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
	name      TEXT NOT NULL,
	value     TEXT NOT NULL,
	sensitive INTEGER NOT NULL
);
CREATE INDEX parameters_build ON parameters (build_id);

CREATE TABLE causes (
	build_id        INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
	kind            TEXT NOT NULL,
	description     TEXT NOT NULL,
	original_number INTEGER
);
CREATE INDEX causes_build ON causes (build_id);

CREATE TABLE steps (
	id           INTEGER PRIMARY KEY,
	build_id     INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
	node_id      TEXT NOT NULL,
	-- ordinal is the step's 0-based place among the build's shell steps (execution order).
	ordinal      INTEGER NOT NULL,
	kind         TEXT NOT NULL,
	stage        TEXT NOT NULL,
	label        TEXT NOT NULL,
	-- identity_key names the step across builds: stage, label and the 1-based occurrence of
	-- that stage+label pair in the build (labels repeat within one branch).
	identity_key TEXT NOT NULL,
	script_hash  TEXT NOT NULL,
	status       TEXT NOT NULL,
	exit_code    INTEGER,
	error        TEXT NOT NULL,
	error_class  TEXT NOT NULL,
	node         TEXT,
	workspace    TEXT NOT NULL,
	-- context lists the enclosing control blocks innermost first ("retry#2,catchError").
	context      TEXT NOT NULL,
	start        TEXT,
	duration_ms  INTEGER NOT NULL DEFAULT 0,
	link         TEXT NOT NULL
);
CREATE INDEX steps_build ON steps (build_id, ordinal);
CREATE INDEX steps_stage_label ON steps (stage, label);

CREATE TABLE test_cases (
	id            INTEGER PRIMARY KEY,
	build_id      INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
	suite         TEXT NOT NULL,
	class_name    TEXT NOT NULL,
	name          TEXT NOT NULL,
	-- full_name is "class_name.name" (or name alone), as Jenkins' test report shows it.
	full_name     TEXT NOT NULL,
	status        TEXT NOT NULL,
	duration_ms   INTEGER NOT NULL DEFAULT 0,
	error_details TEXT NOT NULL,
	stage         TEXT NOT NULL,
	-- node is inferred: the agent of the build's last shell step in the same stage.
	node          TEXT,
	flow_node_id  TEXT NOT NULL
);
CREATE INDEX test_cases_build ON test_cases (build_id);
CREATE INDEX test_cases_full_name ON test_cases (full_name);
CREATE INDEX test_cases_name ON test_cases (name);

-- failure_groups gathers failures with the same normalised message; id is a hash of it, so
-- ids are the same on every rescan and in every database.
CREATE TABLE failure_groups (
	id         TEXT PRIMARY KEY,
	normalised TEXT NOT NULL,
	example    TEXT NOT NULL
);

CREATE TABLE failures (
	id         INTEGER PRIMARY KEY,
	build_id   INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
	step_id    INTEGER REFERENCES steps(id) ON DELETE CASCADE,
	test_id    INTEGER REFERENCES test_cases(id) ON DELETE CASCADE,
	message    TEXT NOT NULL,
	normalised TEXT NOT NULL,
	group_id   TEXT NOT NULL REFERENCES failure_groups(id),
	class      TEXT,
	cause      TEXT,
	CHECK ((step_id IS NULL) <> (test_id IS NULL))
);
CREATE INDEX failures_build ON failures (build_id);
CREATE INDEX failures_step ON failures (step_id);
CREATE INDEX failures_test ON failures (test_id);
CREATE INDEX failures_group ON failures (group_id);

-- scan_errors lists the build directories the last scans could not read; a later successful
-- read removes the row.
CREATE TABLE scan_errors (
	instance_id INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
	dir         TEXT NOT NULL,
	error       TEXT NOT NULL,
	seen_at     TEXT NOT NULL,
	PRIMARY KEY (instance_id, dir)
);
