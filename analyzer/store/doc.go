// Package store keeps cidiff's build history in a SQLite file: `cidiff scan` records builds
// into it, and `cidiff flaky`, `history` and `matrix` answer triage questions from it ("which
// steps and tests flip, since when, on which agents, show me the logs") without rereading a
// controller. It is the only package that imports the SQLite driver.
//
// # Schema and versions
//
// The schema is the embedded migrations/*.sql, applied in name order, one transaction each; the
// version is kept in SQLite's user_version (in the file header) and listed in schema_migrations.
// Open refuses a database with a higher version than this code knows (ErrNewerSchema) and does
// not change a byte of it: the version is read from the file header, or through a read-only
// connection when a WAL file is present.
//
// Tables: instances, jobs, builds (one row per build directory of an instance, keyed by job and
// number), parameters, causes, steps, test_cases, failures (one per failed or aborted step and
// failed test, with its normalised message, failure group, and class and cause when a classifier
// was given), failure_groups, scan_errors, and for the comparison recorder comparisons,
// differences, waivers and triage_notes. Times are fixed-width UTC text, durations milliseconds.
//
// # Scanning
//
// Scan reads candidates in parallel and writes from one goroutine, one transaction per build, so
// a cancelled or killed scan leaves only whole builds and the next scan carries on. A build is
// skipped without being read when it is stored as completed and its fingerprint has not changed:
// the fingerprint is a stat (never a parse) of build.xml (size, mtime), the build directory
// (mtime), the workflow/ and workflow-completed/ flow-node directories (mtime) and
// junitResult.xml (size, mtime), plus the base URL links are made from. A build read over REST
// (its candidate's Dir is its URL) has nothing to stat: its fingerprint is the constant "remote;"
// (plus the base URL), because a build does not change once Jenkins has completed it. So a
// stored completed build is skipped without a single request, and only the listing (jobs and
// build numbers) is fetched on every scan. A remote build read with problems (a test report the
// controller failed to send, steps no API could list) is read again on every scan instead. (A job deleted and recreated under the same name
// reuses build numbers: its new builds keep the old builds' rows until rescanned into a fresh
// database or instance.) A running build
// (completed=false) is read on every scan until it completes, and only rewritten when what was
// read differs (a content hash). Scans never delete a build: the history outlives Jenkins' build
// discarder.
//
// Several processes may use one file: WAL mode, a 30 s busy timeout, and write transactions that
// take the write lock when they begin (BEGIN IMMEDIATE), so writers queue rather than fail.
//
// # Flakiness
//
// A step is identified across builds by instance, job, stage path and label (an unlabeled step
// also by its script's hash, reported as script_hash); a test by instance,
// job, stage and full name ("class.name"; the stage is part of it because TVM runs the same test
// on several platforms, and a test that always fails on ARM is not flaky). A run passes with
// SUCCESS (tests: PASSED) and fails with FAILURE (tests: FAILED); ABORTED, NOT_EXECUTED, UNKNOWN
// and SKIPPED are not runs, because superseded PR builds are aborted all the time. Runs are
// ordered by build start. flips counts pass↔fail changes from one run to the next, flip_rate is
// flips/(runs-1), revisions_mixed the revisions with both a passing and a failing run. Flaky lists
// items with a flip or a mixed revision, ranked by flip_rate, then revisions_mixed, then
// failures, then runs, all descending.
//
// Failure groups are named by GroupID: a hash of NormaliseMessage (timestamps, UUIDs, temp paths,
// hex ids, durations and numbers replaced), so the same failure gets the same id in every scan
// and every database.
package store
