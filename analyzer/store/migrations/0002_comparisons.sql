-- Schema version 2: step images for `cidiff matrix --by image`, and the comparison recorder's
-- tables (comparisons, differences, waivers, triage notes).

-- image is the docker image a step ran in; NULL until the reader reports it.
ALTER TABLE steps ADD COLUMN image TEXT;
CREATE INDEX steps_image ON steps (image) WHERE image IS NOT NULL;

CREATE TABLE comparisons (
	id               INTEGER PRIMARY KEY,
	created_at       TEXT NOT NULL,
	prod_instance    TEXT NOT NULL,
	staging_instance TEXT NOT NULL,
	verdict          TEXT NOT NULL,
	-- report is the full JSON report as printed, when the recorder keeps it.
	report           TEXT NOT NULL DEFAULT ''
);

CREATE TABLE differences (
	id                INTEGER PRIMARY KEY,
	comparison_id     INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
	pair_key          TEXT NOT NULL,
	job               TEXT NOT NULL,
	prod_number       INTEGER,
	staging_number    INTEGER,
	stage             TEXT NOT NULL,
	label             TEXT NOT NULL,
	prod_status       TEXT NOT NULL,
	staging_status    TEXT NOT NULL,
	class             TEXT NOT NULL,
	cause             TEXT NOT NULL,
	blocking          INTEGER NOT NULL,
	waived            INTEGER NOT NULL,
	reason            TEXT NOT NULL,
	consequence_stage TEXT,
	consequence_label TEXT,
	group_id          TEXT
);
CREATE INDEX differences_comparison ON differences (comparison_id);
CREATE INDEX differences_stage_label ON differences (stage, label);

CREATE TABLE waivers (
	id            INTEGER PRIMARY KEY,
	comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
	job           TEXT NOT NULL,
	stage         TEXT NOT NULL,
	label         TEXT NOT NULL,
	class         TEXT NOT NULL,
	reason        TEXT NOT NULL
);
CREATE INDEX waivers_comparison ON waivers (comparison_id);

-- triage_notes are what a committer wrote about a step, a test or a failure group.
CREATE TABLE triage_notes (
	id         INTEGER PRIMARY KEY,
	created_at TEXT NOT NULL,
	author     TEXT NOT NULL,
	instance   TEXT NOT NULL,
	job        TEXT NOT NULL,
	stage      TEXT NOT NULL,
	label      TEXT NOT NULL,
	test       TEXT NOT NULL,
	group_id   TEXT NOT NULL,
	note       TEXT NOT NULL,
	issue_url  TEXT NOT NULL
);
CREATE INDEX triage_notes_step ON triage_notes (job, stage, label);
CREATE INDEX triage_notes_group ON triage_notes (group_id);
