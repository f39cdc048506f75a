package jenkins

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReadJUnit reads a build's junitResult.xml: the XStream form of the junit plugin's TestResult,
// with the aliases result / suite / case (JENKINS_FORMATS.md §9). It returns (nil, nil) when
// the file does not exist. The file stores no status: a skipped case is SKIPPED, one with an
// errorStackTrace or errorDetails element is FAILED, any other PASSED.
func ReadJUnit(path string) ([]TestCase, error) {
	return readJUnitWith(&readScratch{}, nil, path, nil)
}

// readJUnitWith is ReadJUnit reading into sc's buffer and parsing with fp (nil: careful).
func readJUnitWith(sc *readScratch, fp *fastParser, path string, opts *readOpts) ([]TestCase, error) {
	data, err := sc.readFile(path, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("junit results: %w", err)
	}
	return parseJUnitWith(fp, path, data, opts)
}

// parseJUnit is ReadJUnit on bytes already read; name is only used in errors.
func parseJUnit(name string, data []byte) ([]TestCase, error) {
	return parseJUnitWith(nil, name, data, nil)
}

// parseJUnitWith is parseJUnit with the document built by fp's fast lexer (the one that reads
// build.xml: buildxml_fast.go), or by parseXML when fp is nil or declines. The test results of
// a TVM build are small, but parsed through encoding/xml they cost a walk more than all of its
// flow nodes.
func parseJUnitWith(fp *fastParser, name string, data []byte, opts *readOpts) ([]TestCase, error) {
	doc, err := parseDOM(fp, name, data, opts)
	if err != nil {
		return nil, err
	}
	root := xsRoot(doc)
	if root == nil {
		return nil, fmt.Errorf("%s: no XML element found", name)
	}
	if root.Data != "result" {
		return nil, fmt.Errorf("%s: root element <%s> is not a junit <result>", name, root.Data)
	}
	var cases []TestCase
	for _, suite := range xsChildren(xsChild(root, "suites"), "suite") {
		suite = xsResolve(suite)
		suiteName := xsRawText(xsChild(suite, "name"))
		nodeID := xsRawText(xsChild(suite, "nodeId"))
		// enclosingBlockNames is innermost first; TestCase.Stage is outermost first.
		var stage []string
		for _, s := range xsChildren(xsChild(suite, "enclosingBlockNames"), "string") {
			stage = append(stage, xsRawText(s))
		}
		slices.Reverse(stage)
		// Declarative writes a parallel branch and its stage under one name. The current junit
		// plugin drops the repeat (JENKINS_FORMATS.md §9); should a file keep it, the contract
		// still shows the name once.
		stage = slices.Compact(stage)
		for _, c := range xsChildren(xsChild(suite, "cases"), "case") {
			c = xsResolve(c)
			tc := TestCase{
				Suite:           suiteName,
				ClassName:       xsRawText(xsChild(c, "className")),
				Name:            xsRawText(xsChild(c, "testName")),
				Duration:        junitSeconds(xsRawText(xsChild(c, "duration"))),
				ErrorDetails:    xsRawText(xsChild(c, "errorDetails")),
				ErrorStackTrace: xsRawText(xsChild(c, "errorStackTrace")),
				NodeID:          nodeID,
				Stage:           slices.Clone(stage),
			}
			tc.FailedSince, _ = strconv.Atoi(xsChildText(c, "failedSince"))
			switch {
			case xsChildText(c, "skipped") == "true":
				tc.Status = TestSkipped
			case xsChild(c, "errorStackTrace") != nil || xsChild(c, "errorDetails") != nil:
				// Java's CaseResult fails a case whose fields are non-null; XStream writes an
				// element exactly for a non-null field, even an empty one.
				tc.Status = TestFailed
			default:
				tc.Status = TestPassed
			}
			cases = append(cases, tc)
		}
	}
	return cases, nil
}

// junitSeconds converts the plugin's float seconds ("0.0010") to a Duration; 0 if unreadable.
func junitSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f <= 0 {
		return 0
	}
	if f >= math.MaxInt64/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}
