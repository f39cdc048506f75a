package report

import (
	"time"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/analyzer/logdiff"
	"github.com/cidiff/cidiff/jenkins"
)

// Injection payloads planted in the fixture. If any format lets them through, the golden
// files show it and the injection tests fail.
const (
	payloadScript    = `<script>document.title='pwned';alert(1)</script>`
	payloadImg       = `<img src=x onerror="document.title='pwned';alert(1)">`
	payloadStage     = "Build | x"
	payloadLabel     = "Run `make` ](http://evil)"
	payloadMention   = "@apache/tvm-committers see #10152"
	payloadURLSecret = "p4ssw0rd-in-url"
)

var fixtureGitHubToken = "ghp_" + "Zr7Qk2Lm9Xw4Vb8Nc3Jd6Hf1Gs5Ta0Py2Ue4"

func ip(n int) *int                       { return &n }
func sp(s string) *string                 { return &s }
func rp(r jenkins.Result) *jenkins.Result { return &r }
func withImage(s *analyzer.StepDetail, image string) *analyzer.StepDetail {
	s.Image = image
	return s
}
func fixedNow() time.Time                       { return time.Date(2022, 2, 8, 9, 30, 0, 0, time.UTC) }
func ref(stage, label string) *analyzer.StepRef { return &analyzer.StepRef{Stage: stage, Label: label} }

// fixtureComparison is a hand-made comparison in the shape of TVM's January-2022 launch
// validation: a disk-full executor failure with consequences, a missing-label controller
// failure (waived in one pair), a flaky test, an environment difference, an unknown failure
// carrying the injection payloads, an identical pair, unpaired builds and an unreadable input.
func fixtureComparison() *analyzer.Comparison {
	const (
		revA = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
		revB = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
		revC = "1111111111222222222233333333334444444444"
		revD = "5555555555666666666677777777778888888888"
		base = "deadbeefcafe0123456789abcdef0123456789ab"
	)
	build := func(job string, n int, res jenkins.Result, rev, dir string, nodes ...string) analyzer.BuildRef {
		if nodes == nil {
			nodes = []string{}
		}
		return analyzer.BuildRef{Job: job, Number: ip(n), Result: rp(res), Revision: rev, Dir: dir,
			Start: "2022-02-01T08:00:00Z", DurationSeconds: 3600, Nodes: nodes, Steps: 12, Base: base}
	}
	step := func(id string, st jenkins.Status, exit *int, errText, node string) *analyzer.StepDetail {
		return &analyzer.StepDetail{ID: id, Status: st, ExitCode: exit, Error: errText, Node: sp(node), DurationSeconds: 12.5, Attempts: 1}
	}
	c := &analyzer.Comparison{
		SchemaVersion: analyzer.SchemaVersion,
		Verdict:       analyzer.VerdictNoGo,
		ProdName:      "prod",
		StagingName:   "staging",
		Pairs: []analyzer.Pair{
			{
				Key: "tvm/PR-10152@" + revA, Job: "tvm/PR-10152", Revision: revA,
				Prod:     build("tvm/PR-10152", 3, jenkins.ResultSuccess, revA, "prod/jobs/tvm/branches/PR-10152/builds/3", "gpu-agent-1"),
				Staging:  build("tvm/PR-10152", 1, jenkins.ResultFailure, revA, "staging/jobs/tvm/branches/PR-10152/builds/1", "gpu-agent-7"),
				Blocking: true,
				Differences: []analyzer.Difference{
					{
						Order: 0, Stage: "Build/BUILD: GPU", Label: "Run cmake build", Step: "Run cmake build", Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusFailure,
						Class: analyzer.ClassExecutor, Cause: "disk_full", Rule: "disk-full-enospc", Blocking: true,
						Reason: "staging step failed with: /usr/bin/ld: final link failed: No space left on device",
						Evidence: []string{
							"[2022-02-01T08:03:11.000Z] /usr/bin/ld: final link failed: No space left on device",
							"[2022-02-01T08:03:11.000Z] collect2: error: ld returned 1 exit status",
							"[2022-02-01T08:03:12.000Z] make: *** [Makefile:160: all] Error 2",
						},
						// The excerpt carries what any PR author can print: it must come out inert
						// and without the credential.
						Excerpt: &logdiff.Excerpt{Mode: logdiff.ModeDiff, Total: 40, Lines: []logdiff.Line{
							{N: 37, Text: "[2022-02-01T08:03:10.000Z] <img src=x onerror=alert(1)> GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
							{N: 38, Text: "[2022-02-01T08:03:11.000Z] /usr/bin/ld: final link failed: No space left on device", Marked: true},
						}},
						ExcerptSide:  analyzer.SideStaging,
						Consequences: 2,
						Prod:         step("27", jenkins.StatusSuccess, nil, "", "gpu-agent-1"),
						Staging:      step("31", jenkins.StatusFailure, ip(2), "script returned exit code 2", "gpu-agent-7"),
					},
					{
						Order: 1, Stage: "Build/BUILD: GPU", Label: "Upload artifacts", Step: "Upload artifacts", Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusMissing,
						Class: analyzer.ClassExecutor, Cause: "disk_full", Blocking: true,
						Reason:        "did not run on staging: an earlier step failed",
						Evidence:      []string{},
						ConsequenceOf: ref("Build/BUILD: GPU", "Run cmake build"),
						Prod:          step("35", jenkins.StatusSuccess, nil, "", "gpu-agent-1"),
					},
					{
						Order: 2, Stage: "Test/unittest: GPU", Label: "Run GPU unit tests", Step: "Run GPU unit tests", Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusMissing,
						Class: analyzer.ClassExecutor, Cause: "disk_full", Blocking: true,
						Reason:        "did not run on staging: the build stage failed",
						Evidence:      []string{},
						ConsequenceOf: ref("Build/BUILD: GPU", "Run cmake build"),
						Prod:          step("58", jenkins.StatusSuccess, nil, "", "gpu-agent-1"),
					},
					{
						Order: 3, Stage: payloadStage, Label: payloadLabel, Step: payloadLabel, Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusFailure,
						Class: analyzer.ClassUnknown, Blocking: true,
						Reason: "staging step failed; no rule matched the 412 log lines " + payloadMention,
						Evidence: []string{
							payloadScript,
							payloadImg,
							"+ git push https://" + fixtureGitHubToken + "@github.com/apache/tvm.git",
							"fatal: unable to access 'https://tvm-bot:" + payloadURLSecret + "@github.com/apache/tvm.git/': The requested URL returned error: 403",
							"\x1b[31mERROR\x1b[0m terminal \x1b]0;pwned-title\x07payload done",
							"```",
							"</details>",
						},
						Prod:    step("40", jenkins.StatusSuccess, nil, "", "cpu-agent-2"),
						Staging: step("44", jenkins.StatusFailure, ip(128), "script returned exit code 128", "cpu-agent-5"),
					},
				},
				BothFailed: []analyzer.BothFailedStep{},
			},
			{
				Key: "tvm/main@" + revB, Job: "tvm/main", Revision: revB,
				Prod:    build("tvm/main", 2041, jenkins.ResultSuccess, revB, "prod/jobs/tvm/branches/main/builds/2041", "cpu-agent-1"),
				Staging: build("tvm/main", 12, jenkins.ResultFailure, revB, "staging/jobs/tvm/branches/main/builds/12", "cpu-agent-3"),
				Older: analyzer.OlderBuilds{
					Staging: []analyzer.BuildRef{build("tvm/main", 11, jenkins.ResultSuccess, revB, "staging/jobs/tvm/branches/main/builds/11")},
				},
				Differences: []analyzer.Difference{
					{
						Order: 0, Stage: "Test/python3: i386", Label: "Run i386 unit tests", Step: "Run i386 unit tests", Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusFailure,
						Class: analyzer.ClassFlaky, Cause: "flaky_step",
						Reason:   "the step passed in staging build #11 of the same revision and failed in #12",
						Evidence: []string{"FAILED tests/python/unittest/test_runtime_rpc.py::test_rpc_large_array - TimeoutError"},
						Prod:     step("61", jenkins.StatusSuccess, nil, "", "cpu-agent-1"),
						Staging:  step("66", jenkins.StatusFailure, ip(1), "script returned exit code 1", "cpu-agent-3"),
					},
					{
						Order: 1, Stage: "Deploy", Label: "Upload docs", Step: "Upload docs", Occurrence: 1,
						ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusFailure,
						Class: analyzer.ClassController, Cause: "credentials_not_found", Rule: "credentials-not-found",
						Waived: true, WaiverReason: "docs-push-token deliberately absent on staging",
						Reason:   "staging step failed with: ERROR: Could not find credentials entry with ID 'docs-push-token'",
						Evidence: []string{"ERROR: Could not find credentials entry with ID 'docs-push-token'", "export DOCS_PUSH_TOKEN=s3cr3t-d0cs"},
						Prod:     step("80", jenkins.StatusSuccess, nil, "", ""),
						Staging:  step("84", jenkins.StatusFailure, nil, "org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: docs-push-token", ""),
					},
				},
				BothFailed: []analyzer.BothFailedStep{},
			},
			{
				Key: "tvm/PR-10160@" + revC, Job: "tvm/PR-10160", Revision: revC,
				Prod:    build("tvm/PR-10160", 5, jenkins.ResultSuccess, revC, "prod/jobs/tvm/branches/PR-10160/builds/5"),
				Staging: build("tvm/PR-10160", 2, jenkins.ResultSuccess, revC, "staging/jobs/tvm/branches/PR-10160/builds/2"),
				Differences: []analyzer.Difference{
					{
						Order: 0, Stage: "Lint", Label: "Check Docker image", Step: "Check Docker image", Occurrence: 1,
						ProdStatus: jenkins.StatusFailure, StagingStatus: jenkins.StatusSuccess,
						Class: analyzer.ClassEnvironment, Cause: "docker_image_differs",
						Reason:   "the builds ran different images: prod tlcpack/ci-lint:v0.67, staging tlcpack/ci-lint:v0.68",
						Evidence: []string{"prod image tlcpack/ci-lint:v0.67", "staging image tlcpack/ci-lint:v0.68"},
						Prod:     withImage(step("12", jenkins.StatusFailure, ip(1), "script returned exit code 1", "cpu-agent-1"), "tlcpack/ci-lint:v0.67"),
						Staging:  withImage(step("12", jenkins.StatusSuccess, nil, "", "cpu-agent-2"), "tlcpack/ci-lint:v0.68"),
					},
				},
				BothFailed: []analyzer.BothFailedStep{{
					StepRef:    analyzer.StepRef{Stage: "Test/docs", Label: "Build docs"},
					ProdStatus: jenkins.StatusFailure, StagingStatus: jenkins.StatusFailure,
					ProdError: "script returned exit code 2", StagingError: "script returned exit code 2",
				}},
			},
			{
				Key: "tvm/PR-10170@" + revD, Job: "tvm/PR-10170", Revision: revD, Identical: true,
				Prod:        build("tvm/PR-10170", 1, jenkins.ResultSuccess, revD, "prod/jobs/tvm/branches/PR-10170/builds/1"),
				Staging:     build("tvm/PR-10170", 1, jenkins.ResultSuccess, revD, "staging/jobs/tvm/branches/PR-10170/builds/1"),
				Differences: []analyzer.Difference{},
				BothFailed:  []analyzer.BothFailedStep{},
			},
		},
		Unpaired: analyzer.Unpaired{
			Prod: []analyzer.UnpairedBuild{{Job: "tvm/PR-10099", Number: ip(4), Revision: revC, Result: rp(jenkins.ResultSuccess),
				Dir: "prod/jobs/tvm/branches/PR-10099/builds/4", Reason: "no staging build of this job and revision"}},
			Staging: []analyzer.UnpairedBuild{{Job: "tvm/feature%2Fdocker", Number: ip(2), Revision: revA,
				Dir: "staging/jobs/tvm/branches/feature%2Fdocker/builds/2", Reason: "still running"}},
		},
		Systematic: []analyzer.SystematicFinding{{
			Stage: "Build/BUILD: GPU", Label: "Run cmake build", Step: "Run cmake build", Occurrence: 1,
			StagingFailures: 5, StagingRuns: 6, ProdFailures: 0, ProdRuns: 6, PValue: 0.00758,
			Jobs: []string{"tvm/PR-10152", "tvm/main"}, Reason: "fails on staging in 5 of 6 runs, on prod in 0 of 6",
		}},
		Errors: []analyzer.InputError{{Side: analyzer.SideStaging, Dir: "staging/jobs/tvm/branches/PR-10200/builds/3",
			Error: "build.xml: XML syntax error on line 4: unexpected EOF"}},
		Warnings: []string{"waiver 'Deploy*/Publish*' matched nothing"},
	}
	c.Summary = analyzer.Summary{
		PairsCompared: 4, PairsIdentical: 1, Differences: 7, Findings: 5,
		ByClass: map[analyzer.Class]int{analyzer.ClassExecutor: 3, analyzer.ClassController: 1, analyzer.ClassFlaky: 1,
			analyzer.ClassEnvironment: 1, analyzer.ClassUnknown: 1},
		FindingsByClass: map[analyzer.Class]int{analyzer.ClassExecutor: 1, analyzer.ClassController: 1, analyzer.ClassFlaky: 1,
			analyzer.ClassEnvironment: 1, analyzer.ClassUnknown: 1},
		Blocking: 4, Waived: 1, UnpairedProd: 1, UnpairedStaging: 1, BothFailed: 1, PairsBothFailed: 0,
		Systematic: 1, InputErrors: 1,
	}
	return c
}

// fixtureOptions are the options of the golden reports: links to both controllers, pinned clock.
func fixtureOptions() Options {
	return Options{
		ProdURL:    "https://ci.tlcpack.ai",
		StagingURL: "https://ci-staging.tlcpack.ai/",
		Width:      110,
		Now:        fixedNow,
	}
}
