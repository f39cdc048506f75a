package jenkins

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadJUnitMissingFile(t *testing.T) {
	cases, err := ReadJUnit(filepath.Join(t.TempDir(), "junitResult.xml"))
	assert.NoError(t, err)
	assert.Nil(t, cases)
}

func TestParseJUnit(t *testing.T) {
	const head = "<?xml version='1.1' encoding='UTF-8'?>\n"
	tests := []struct {
		name    string
		xml     string
		want    []TestCase
		wantErr string
	}{
		{
			name: "pipeline suite with enclosing blocks, innermost first in the file",
			xml: head + `<result plugin="junit@1.51"><suites><suite>
  <name>com.x.UnitTests</name><duration>22.532</duration><nodeId>36</nodeId>
  <enclosingBlocks><string>40</string><string>33</string></enclosingBlocks>
  <enclosingBlockNames><string>GPU</string><string>Unit Tests</string></enclosingBlockNames>
  <cases>
    <case><duration>1.302</duration><className>com.x.UnitTests</className><testName>testGetAllUsers</testName><skipped>false</skipped><failedSince>0</failedSince></case>
    <case><duration>0.0010</duration><className>com.x.UnitTests</className><testName>testSkip</testName><skipped>true</skipped><skippedMessage>later</skippedMessage><failedSince>0</failedSince></case>
    <case><duration>0.5</duration><className>com.x.UnitTests</className><testName>testBoom</testName><skipped>false</skipped>
      <errorStackTrace>java.lang.AssertionError: boom&#x1b;[0m
	at X.y(X.java:1)
</errorStackTrace><failedSince>7</failedSince></case>
  </cases></suite></suites><duration>22.532</duration><keepLongStdio>false</keepLongStdio></result>`,
			want: []TestCase{
				{Suite: "com.x.UnitTests", ClassName: "com.x.UnitTests", Name: "testGetAllUsers", Status: TestPassed, Duration: 1302 * time.Millisecond, NodeID: "36", Stage: []string{"Unit Tests", "GPU"}},
				{Suite: "com.x.UnitTests", ClassName: "com.x.UnitTests", Name: "testSkip", Status: TestSkipped, Duration: time.Millisecond, NodeID: "36", Stage: []string{"Unit Tests", "GPU"}},
				{Suite: "com.x.UnitTests", ClassName: "com.x.UnitTests", Name: "testBoom", Status: TestFailed, Duration: 500 * time.Millisecond,
					ErrorStackTrace: "java.lang.AssertionError: boom\uFFFD[0m\n\tat X.y(X.java:1)\n", FailedSince: 7, NodeID: "36", Stage: []string{"Unit Tests", "GPU"}},
			},
		},
		{
			name: "second suite of one junit step references the first one's block names",
			xml: `<result><suites>
<suite><name>A</name><nodeId>9</nodeId><enclosingBlockNames><string>Test</string></enclosingBlockNames><cases><case><className>A</className><testName>a</testName><skipped>false</skipped></case></cases></suite>
<suite><name>B</name><nodeId>9</nodeId><enclosingBlockNames reference="../../suite/enclosingBlockNames"/><cases><case><className>B</className><testName>b</testName><skipped>false</skipped><errorDetails></errorDetails></case></cases></suite>
</suites></result>`,
			want: []TestCase{
				{Suite: "A", ClassName: "A", Name: "a", Status: TestPassed, NodeID: "9", Stage: []string{"Test"}},
				{Suite: "B", ClassName: "B", Name: "b", Status: TestFailed, NodeID: "9", Stage: []string{"Test"}},
			},
		},
		{
			name: "skipped wins over error fields; errorDetails alone fails",
			xml: `<result><suites><suite><name>S</name><cases>
<case><className>C</className><testName>s</testName><skipped>true</skipped><errorDetails>x</errorDetails></case>
<case><className>C</className><testName>f</testName><errorDetails>expected 1</errorDetails><failedSince>3</failedSince><duration>NaN</duration></case>
</cases></suite></suites></result>`,
			want: []TestCase{
				{Suite: "S", ClassName: "C", Name: "s", Status: TestSkipped, ErrorDetails: "x"},
				{Suite: "S", ClassName: "C", Name: "f", Status: TestFailed, ErrorDetails: "expected 1", FailedSince: 3},
			},
		},
		{
			name: "a Declarative parallel branch and its stage of the same name appear once",
			xml: `<result><suites><suite><name>S</name><nodeId>20</nodeId>
<enclosingBlockNames><string>linux</string><string>linux</string><string>Build</string></enclosingBlockNames>
<cases><case><className>C</className><testName>t</testName><skipped>false</skipped></case></cases></suite></suites></result>`,
			want: []TestCase{{Suite: "S", ClassName: "C", Name: "t", Status: TestPassed, NodeID: "20", Stage: []string{"Build", "linux"}}},
		},
		{name: "no suites", xml: `<result><suites/><duration>0.0</duration></result>`},
		{name: "broken reference ignored", xml: `<result><suites><suite><name>S</name><enclosingBlockNames reference="../../../../x[9]"/><cases><case reference="../case"/></cases></suite></suites></result>`,
			want: []TestCase{{Suite: "S", Status: TestPassed}}},
		{name: "not a junit result", xml: `<build><result>SUCCESS</result></build>`, wantErr: "junitResult.xml: root element <build>"},
		{name: "truncated file", xml: `<result><suites><suite>`, wantErr: "junitResult.xml"},
		{name: "empty file", xml: ``, wantErr: "junitResult.xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseJUnit("builds/3/junitResult.xml", []byte(tc.xml))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReadJUnitRealNonPipeline(t *testing.T) {
	path := logsRealDir(t, "jenkinsci__junit-plugin/junitResult.xml")
	cases, err := ReadJUnit(path)
	require.NoError(t, err)
	require.Len(t, cases, 9) // 6 suites, 3 of them empty
	count := map[TestStatus]int{}
	for _, c := range cases {
		count[c.Status]++
		assert.Empty(t, c.NodeID, "a freestyle build records no flow node")
		assert.Empty(t, c.Stage)
	}
	assert.Equal(t, map[TestStatus]int{TestPassed: 7, TestSkipped: 1, TestFailed: 1}, count)
	assert.Equal(t, TestCase{Suite: "TestSuite", ClassName: "service.EchoServletIT", Name: "sayHello", Status: TestSkipped, Duration: 128 * time.Millisecond}, cases[0])
	var failed TestCase
	for _, c := range cases {
		if c.Status == TestFailed {
			failed = c
		}
	}
	assert.Equal(t, "broken", failed.Suite)
	assert.Equal(t, "breakable.misc.UglyTest", failed.ClassName)
	assert.Equal(t, "becomeUglier", failed.Name)
	assert.Equal(t, "Yeah, ugly and broken.", failed.ErrorDetails)
	assert.Equal(t, "java.lang.AssertionError: Yeah, ugly and broken.\n\tat org.testng.Assert.fail(Assert.java:84)\n\tat breakable.misc.UglyTest.becomeUglier(UglyTest.java:25)\n", failed.ErrorStackTrace)
	assert.Equal(t, 5, failed.FailedSince)
	assert.Equal(t, time.Millisecond, failed.Duration)
}

func TestReadJUnitRealHistory(t *testing.T) {
	builds := logsRealDir(t, "jenkinsci__junit-plugin/HistoryTest.zip.d/jobs/wonky/builds")
	// Builds 1, 2 and 6 archived no results; the others 4 cases each.
	wantFailed := map[string]int{"1": -1, "2": -1, "3": 2, "4": 2, "5": 1, "6": -1, "7": 0}
	for n, failed := range wantFailed {
		cases, err := ReadJUnit(filepath.Join(builds, n, "junitResult.xml"))
		require.NoError(t, err, "build %s", n)
		if failed < 0 {
			assert.Nil(t, cases, "build %s", n)
			continue
		}
		require.Len(t, cases, 4, "build %s", n)
		got := 0
		for _, c := range cases {
			if c.Status == TestFailed {
				got++
			}
		}
		assert.Equal(t, failed, got, "failed cases in build %s", n)
	}

	cases, err := ReadJUnit(filepath.Join(builds, "4", "junitResult.xml"))
	require.NoError(t, err)
	assert.Equal(t, TestCase{
		Suite:           "org.jvnet.hudson.examples.small.MiscTest",
		ClassName:       "org.jvnet.hudson.examples.small.MiscTest",
		Name:            "testEleanor",
		Status:          TestFailed,
		ErrorDetails:    "deliberate failure to exercise test failures",
		ErrorStackTrace: "junit.framework.AssertionFailedError: deliberate failure to exercise test failures\n\tat junit.framework.Assert.fail(Assert.java:47)\n\tat org.jvnet.hudson.examples.small.MiscTest.testEleanor(MiscTest.java:12)\n",
		FailedSince:     3,
	}, cases[1])
	assert.Equal(t, TestCase{
		Suite:     "org.jvnet.hudson.examples.small.MiscTest",
		ClassName: "org.jvnet.hudson.examples.small.MiscTest",
		Name:      "testSophia",
		Status:    TestPassed,
		Duration:  time.Millisecond,
	}, cases[2])
	assert.Equal(t, "testScubaGear", cases[3].Name)
	assert.Equal(t, 11*time.Millisecond, cases[3].Duration)
	assert.Equal(t, TestFailed, cases[3].Status)
	assert.Equal(t, "we should be waterproof", cases[3].ErrorDetails)
}

func TestReadJUnitUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "junitResult.xml")
	require.NoError(t, os.Mkdir(path, 0o755)) // a directory where the file should be
	_, err := ReadJUnit(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func FuzzReadJUnit(f *testing.F) {
	f.Add([]byte(`<result><suites><suite><name>S</name><nodeId>3</nodeId><enclosingBlockNames><string>a</string></enclosingBlockNames><cases><case><className>C</className><testName>t</testName><skipped>false</skipped><errorDetails>x</errorDetails><duration>1e300</duration></case></cases></suite></suites></result>`))
	f.Add([]byte(`<result><suites><suite><cases reference="../../suite[2]/cases"/></suite><suite><cases reference="../../suite/cases"/></suite></suites></result>`))
	f.Add([]byte("<?xml version='1.1'?><result>&#x1b;</result>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := parseJUnit("junitResult.xml", data)
		if err != nil {
			assert.Contains(t, err.Error(), "junitResult.xml")
			return
		}
		for _, c := range cases {
			switch c.Status {
			case TestPassed, TestFailed, TestSkipped:
			default:
				t.Fatalf("status %q", c.Status)
			}
			if c.Duration < 0 {
				t.Fatalf("negative duration %v", c.Duration)
			}
		}
	})
}
