package jenkins

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cidiff/cidiff/fixtures/sharedtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logsRealDir returns a path below the shared corpus of real Jenkins build directories
// (../shared/jenkins-real from the repo root, or $CIDIFF_SHARED/jenkins-real for a checkout
// elsewhere), skipping the test when the corpus is absent.
func logsRealDir(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedtest.Dir(t, "jenkins-real"), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real data not available: %s", rel)
	}
	return p
}

const (
	realTimeoutBuild = "jenkinsci__workflow-basic-steps-plugin/TimeoutStepTest/noImmediateForcibleTerminationOnResume.zip.d/jobs/p/builds/1"
	realCFGBuild     = "jenkinsci__workflow-support-plugin/visualization/table/FlowGraphTableTest/corruptedFlowGraph.zip.d/jobs/test0/builds/1"
	realPARBuild     = "jenkinsci__pipeline-model-definition-plugin/DeclarativeUpgradeTest/parallelAddsGroupsExecutionModelActionUpgrade.zip.d/jobs/ptest1/builds/1"
	realGITMBHome    = "jenkinsci__git-plugin/GitBranchSCMHeadTest/testMigrationNoBuildStorm.zip.d"
	realSERBuild     = "jenkinsci__workflow-cps-plugin/SerialFormTest/persistence/jobs/p/builds/1"
)

// note is a real ConsoleNote (from the TimeoutStepTest log).
const consoleNoteSample = "\x1b[8mha:////4LfTVifz+mpxKPT8iPVYs55hcHfFMFQimn+xMEeRgRwuAAAAoh+LCAAAAAAAAP9tjTEOwjAQBM8BClpKHuFItIiK1krDC0x8GCfWnbEdkooX8TX+gCESFVvtrLSa5wtWKcKBo5UdUu8otU4GP9jS5Mixv3geZcdn2TIl9igbHBs2eJyx4YwwR1SwULBGaj0nRzbDRnX6rmuvydanHMu2V1A5c4MHCFXMWcf8hSnC9jqYxPTz/BXAFEIGsfuclm8zQVqFvQAAAA==\x1b[0m"

func TestParseLogIndex(t *testing.T) {
	type segs = map[string][]segment
	tests := []struct {
		name     string
		index    string
		size     int64
		want     segs
		bad      []string
		problems int
	}{
		{"empty index is valid", "", 100, segs{}, nil, 0},
		{"real TimeoutStepTest: node 3 owns two ranges", "673 3\n704\n1309 3\n1348 5\n", 1419,
			segs{"3": {{673, 704}, {1309, 1348}}, "5": {{1348, 1419}}}, nil, 0},
		{"bytes before the first offset are unowned", "10 2\n", 15, segs{"2": {{10, 15}}}, nil, 0},
		{"bare offset ends ownership", "0 2\n5\n9 4\n12\n", 20, segs{"2": {{0, 5}}, "4": {{9, 12}}}, nil, 0},
		{"no trailing newline", "0 2\n5", 9, segs{"2": {{0, 5}}}, nil, 0},
		{"unterminated last line still being written (live build)", "0 2\n10 3\n1", 20, segs{"2": {{0, 10}}, "3": {{10, 20}}}, nil, 0},
		{"CRLF index lines", "0 2\r\n5\r\n", 9, segs{"2": {{0, 5}}}, nil, 0},
		{"same node twice in a row joins", "0 2\n4 2\n8\n", 9, segs{"2": {{0, 8}}}, nil, 0},
		{"interleaved parallel branches", "0 8\n3 9\n6 8\n9 9\n12\n", 12,
			segs{"8": {{0, 3}, {6, 9}}, "9": {{3, 6}, {9, 12}}}, nil, 0},
		{"empty range dropped", "5 2\n5 3\n7\n", 9, segs{"3": {{5, 7}}}, nil, 0},
		{"offsets past the measured size are clamped (live build)", "0 2\n5 3\n50 4\n", 8, segs{"2": {{0, 5}}, "3": {{5, 8}}}, nil, 0},
		{"malformed line marks the writer before it bad", "0 2\nxx\n5 3\n", 9, segs{"3": {{5, 9}}}, []string{"2"}, 1},
		{"malformed offset marks the node it names bad", "0 2\n4\n-5 3\n7 4\n", 9, segs{"2": {{0, 4}}, "4": {{7, 9}}}, []string{"3"}, 1},
		{"offset going back", "0 2\n6 3\n4 4\n8\n", 9, segs{"2": {{0, 6}}}, []string{"3", "4"}, 1},
		{"blank line", "0 2\n\n5 3\n", 9, segs{"3": {{5, 9}}}, []string{"2"}, 1},
		{"over-long line", "0 2\n" + strings.Repeat("9", 10000) + " 7\n5 3\n", 9, segs{"3": {{5, 9}}}, []string{"2"}, 1}, // the id past the cut is lost
		{"offset overflowing int64", "0 2\n99999999999999999999 3\n", 9, segs{}, []string{"2", "3"}, 1},
		{"space without id is unowned", "0 \n3 2\n", 9, segs{"2": {{3, 9}}}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, bad, problems, err := parseLogIndex(bufio.NewReader(strings.NewReader(tc.index)), tc.size, "log-index")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			var badIDs []string
			for id, err := range bad {
				badIDs = append(badIDs, id)
				assert.Contains(t, err.Error(), "log-index line ")
			}
			assert.ElementsMatch(t, tc.bad, badIDs)
			assert.Len(t, problems, tc.problems)
		})
	}
}

func TestStripConsoleNotes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no note", "plain\r\ntext\n", "plain\r\ntext\n"},
		{"one note", consoleNoteSample + "[Pipeline] sh\n", "[Pipeline] sh\n"},
		{"note mid-line", "Running on " + consoleNoteSample + "remote in /w\n", "Running on remote in /w\n"},
		{"two notes", consoleNoteSample + "a" + consoleNoteSample + "b", "ab"},
		{"empty payload", "\x1b[8mha:\x1b[0mx", "x"},
		{"ANSI colour kept", "\x1b[31mred\x1b[0m", "\x1b[31mred\x1b[0m"},
		{"unterminated note kept", "\x1b[8mha:AAAA", "\x1b[8mha:AAAA"},
		{"non-base64 inside: not a note", "\x1b[8mha:AA AA\x1b[0m", "\x1b[8mha:AA AA\x1b[0m"},
		{"ESC at end", "x\x1b", "x\x1b"},
		{"prefix split by text", "\x1b[8mh", "\x1b[8mh"},
		{"note then broken note", consoleNoteSample + "\x1b[8mha:Z\x1b[1m", "\x1b[8mha:Z\x1b[1m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, string(StripConsoleNotes([]byte(tc.in))))
			got, err := io.ReadAll(iotest.OneByteReader(newNoteStripper(iotest.OneByteReader(strings.NewReader(tc.in)), 0)))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got), "streaming, one byte at a time")
		})
	}
}

// noteChunkReader returns its data in reads of the given sizes (cycling), so that a note can be
// made to straddle any read boundary.
type noteChunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *noteChunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.sizes[c.i%len(c.sizes)])
	c.i++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestNoteStripperStraddlingNote(t *testing.T) {
	in := []byte("before " + consoleNoteSample + "after\r\n" + consoleNoteSample + consoleNoteSample + "end")
	want := StripConsoleNotes(in)
	assert.Equal(t, "before after\r\nend", string(want))
	// Every cut position of the first note, and awkward cycles of read sizes.
	for cut := 1; cut < len(consoleNoteSample)+10; cut++ {
		r := newNoteStripper(&noteChunkReader{data: in, sizes: []int{cut, 3, 1, 7}}, 0)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "first read of %d bytes", cut)
	}
	// A note longer than the stripper's initial buffer makes the buffer grow.
	long := "\x1b[8mha:" + strings.Repeat("QUJD", 20000) + "\x1b[0m"
	got, err := io.ReadAll(newNoteStripper(strings.NewReader("a"+long+"b"), 100))
	require.NoError(t, err)
	assert.Equal(t, "ab", string(got))
}

func TestNoteStripperPassesReadErrors(t *testing.T) {
	boom := fmt.Errorf("disk on fire")
	r := newNoteStripper(io.MultiReader(strings.NewReader("ok "+consoleNoteSample+"x"), iotest.ErrReader(boom)), 0)
	got, err := io.ReadAll(r)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "ok x", string(got))
}

// writeBuild creates a build directory with the given files.
func logsWriteBuild(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	return dir
}

func logsReadStep(t *testing.T, l *Log, id string) string {
	t.Helper()
	b, err := io.ReadAll(l.Step(id))
	require.NoError(t, err)
	return string(b)
}

func TestLogSynthetic(t *testing.T) {
	// Unowned header, node 5 twice around node 7, CRLF kept, notes stripped, unowned trailer.
	text := "Started by user\r\n" + // 0..17
		consoleNoteSample + "[Pipeline] sh\r\n" + // unowned
		"+ make\r\n" + // node 5
		"+ test\r\n" + // node 7
		consoleNoteSample + "link\r\n" + // node 5 again
		"Finished: FAILURE\r\n" // unowned
	o5a := strings.Index(text, "+ make")
	o7 := strings.Index(text, "+ test")
	o5b := o7 + len("+ test\r\n")
	tail := strings.Index(text, "Finished")
	index := fmt.Sprintf("%d 5\n%d 7\n%d 5\n%d\n", o5a, o7, o5b, tail)
	dir := logsWriteBuild(t, map[string]string{"log": text, "log-index": index})

	l, err := OpenLog(dir)
	require.NoError(t, err)
	defer l.Close()
	assert.True(t, l.Indexed())
	assert.Empty(t, l.Problems())
	assert.Equal(t, []string{"5", "7"}, l.Nodes())
	assert.Equal(t, "+ make\r\nlink\r\n", logsReadStep(t, l, "5"))
	assert.Equal(t, "+ test\r\n", logsReadStep(t, l, "7"))
	assert.Equal(t, "", logsReadStep(t, l, "99"))
	assert.Equal(t, int64(len("+ make\r\n")+len(consoleNoteSample)+len("link\r\n")), l.Size("5"))
	assert.Equal(t, int64(0), l.Size("99"))

	for n := int64(1); n <= 20; n++ {
		got, err := l.Tail("5", n)
		require.NoError(t, err)
		full := "+ make\r\nlink\r\n"
		assert.Equal(t, full[max(0, int64(len(full))-n):], string(got), "Tail(5, %d)", n)
	}
	all, err := l.Tail("5", math.MaxInt64)
	require.NoError(t, err)
	assert.Equal(t, "+ make\r\nlink\r\n", string(all))
	got, err := l.Tail("99", 10)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestLogBadIndexLine(t *testing.T) {
	dir := logsWriteBuild(t, map[string]string{"log": "aaaabbbbcccc", "log-index": "0 2\n4 3\nfour\n8 4\n"})
	l, err := OpenLog(dir)
	require.NoError(t, err)
	defer l.Close()
	assert.Equal(t, "aaaa", logsReadStep(t, l, "2"))
	_, err = io.ReadAll(l.Step("3"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "log-index line 3")
	_, err = l.Tail("3", 4)
	require.Error(t, err)
	assert.Equal(t, "cccc", logsReadStep(t, l, "4"))
	require.Len(t, l.Problems(), 1)
	assert.Contains(t, l.Problems()[0], filepath.Join(dir, "log-index")+" line 3")
}

func TestOpenLogErrors(t *testing.T) {
	t.Run("no log at all", func(t *testing.T) {
		dir := t.TempDir()
		_, err := OpenLog(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "log"))
	})
	t.Run("index without log", func(t *testing.T) {
		dir := logsWriteBuild(t, map[string]string{"log-index": "0 2\n"})
		_, err := OpenLog(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "log"))
		assert.Contains(t, err.Error(), "log-index")
	})
	t.Run("compressed log", func(t *testing.T) {
		dir := logsWriteBuild(t, map[string]string{"log.gz": "\x1f\x8b"})
		_, err := OpenLog(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "log.gz")
	})
	t.Run("log only: no node text, not an error", func(t *testing.T) {
		dir := logsWriteBuild(t, map[string]string{"log": "Started\nFinished: SUCCESS\n"})
		l, err := OpenLog(dir)
		require.NoError(t, err)
		defer l.Close()
		assert.False(t, l.Indexed())
		assert.Equal(t, "", logsReadStep(t, l, "3"))
	})
}

func TestLogPerNodeFiles(t *testing.T) {
	dir := logsWriteBuild(t, map[string]string{
		"log":   "whole\n",
		"3.log": "Running on " + consoleNoteSample + "agent in /w\r\n",
		"4.log": "",
	})
	l, err := OpenLog(dir)
	require.NoError(t, err)
	assert.False(t, l.Indexed())
	assert.Equal(t, []string{"3", "4"}, l.Nodes())
	assert.Equal(t, "Running on agent in /w\r\n", logsReadStep(t, l, "3"))
	assert.Equal(t, "", logsReadStep(t, l, "4"))
	assert.Equal(t, "", logsReadStep(t, l, "5"))
	assert.Equal(t, "", logsReadStep(t, l, "../log"), "ids are numbers; nothing else is opened")
	assert.Equal(t, int64(len("Running on "+consoleNoteSample+"agent in /w\r\n")), l.Size("3"))
	tail, err := l.Tail("3", 9)
	require.NoError(t, err)
	assert.Equal(t, "t in /w\r\n", string(tail))

	// A reader not read to its end is closed by Close.
	r := l.Step("3")
	buf := make([]byte, 2)
	_, err = r.Read(buf)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = io.ReadAll(l.Step("3"))
	assert.ErrorIs(t, err, os.ErrClosed)
}

func TestLogRealTimeoutStep(t *testing.T) {
	l, err := OpenLog(logsRealDir(t, realTimeoutBuild))
	require.NoError(t, err)
	defer l.Close()
	assert.True(t, l.Indexed())
	// log-index "673 3 / 704 / 1309 3 / 1348 5": node 3 (timeout) prints before and after its body.
	assert.Equal(t, "Timeout set to expire in 1 sec\nCancelling nested steps due to timeout\n", logsReadStep(t, l, "3"))
	assert.Equal(t, int64(704-673+1348-1309), l.Size("3"))
	assert.Equal(t, "ignoring org.jenkinsci.plugins.workflow.steps.FlowInterruptedException\n", logsReadStep(t, l, "5"))
	assert.Equal(t, int64(1419-1348), l.Size("5"))
	assert.Equal(t, []string{"3", "5"}, l.Nodes())
	tail, err := l.Tail("3", 50) // crosses from the second range into the first
	require.NoError(t, err)
	assert.Equal(t, "e in 1 sec\nCancelling nested steps due to timeout\n", string(tail))
	assert.Len(t, tail, 50)
}

func TestLogRealCFG(t *testing.T) {
	l, err := OpenLog(logsRealDir(t, realCFGBuild))
	require.NoError(t, err)
	defer l.Close()
	want := map[string]string{
		"3":  "Hello, world!\n",
		"8":  "Hello, branch one!\n",
		"9":  "Hello again, branch one!\n",
		"11": "Hello, branch two!\n",
		"12": "Hello again, branch two!\n",
		"15": "Goodbye, world!\n",
	}
	assert.Equal(t, []string{"3", "8", "9", "11", "12", "15"}, l.Nodes())
	for id, text := range want {
		assert.Equal(t, text, logsReadStep(t, l, id), "node %s", id)
	}
	assert.Equal(t, int64(680-666), l.Size("3"))
	assert.Empty(t, l.Problems())
}

func TestLogRealSerialForm(t *testing.T) {
	l, err := OpenLog(logsRealDir(t, realSERBuild))
	require.NoError(t, err)
	defer l.Close()
	// Node 3 (node block) wrote a ModelHyperlinkNote around the agent name; node 5 is the running sh.
	assert.Equal(t, "Running on remote in /home/jenkins/agent/workspace/p\n", logsReadStep(t, l, "3"))
	assert.Equal(t, int64(998-670), l.Size("3"))
	assert.Equal(t, "+ touch running\n+ [ -f running ]\n+ sleep 1\n", logsReadStep(t, l, "5"))
	tail, err := l.Tail("3", 30)
	require.NoError(t, err)
	assert.Equal(t, "/home/jenkins/agent/workspace/p\n"[2:], string(tail))
	assert.Len(t, tail, 30)
}

func TestLogRealPerNode(t *testing.T) {
	l, err := OpenLog(logsRealDir(t, realPARBuild))
	require.NoError(t, err)
	defer l.Close()
	assert.False(t, l.Indexed())
	assert.Equal(t, "In branch-one\n", logsReadStep(t, l, "20"))
	assert.Equal(t, "In branch-two\n", logsReadStep(t, l, "22"))
	assert.Equal(t, "first solo one yay\n", logsReadStep(t, l, "7"))
	assert.Equal(t, "", logsReadStep(t, l, "10"))
	assert.Equal(t, []string{"3", "5", "7", "10", "12", "16", "18", "20", "22", "31", "33"}, l.Nodes())

	g, err := OpenLog(logsRealDir(t, realGITMBHome+"/jobs/job/branches/master/builds/1"))
	require.NoError(t, err)
	defer g.Close()
	assert.Equal(t, "Repo: fourth\n\n", logsReadStep(t, g, "7"))
	assert.Equal(t, "second\n\n", logsReadStep(t, g, "9"))
	checkout := logsReadStep(t, g, "5")
	raw, err := os.ReadFile(logsRealDir(t, realGITMBHome+"/jobs/job/branches/master/builds/1/5.log"))
	require.NoError(t, err)
	assert.Equal(t, string(raw), checkout, "a per-node log without notes reads byte for byte")
	assert.True(t, strings.HasPrefix(checkout, "Cloning the remote Git repository\n"), checkout)
	assert.Contains(t, checkout, "Checking out Revision 82de19a0a55e29e34cbab90b9b59e4aac379a155 (master)\n")
	assert.True(t, strings.HasSuffix(checkout, "First time build. Skipping changelog.\n"), checkout)
	assert.Equal(t, 18, strings.Count(checkout, "\n"))
}

// TestTailEqualsEndOfStep checks Tail against Step on random logs dense with notes, cut into
// random segments, for every tail length: the windows Tail reads must never change the text.
func TestTailEqualsEndOfStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{consoleNoteSample, "\x1b[8mha:AB\x1b[0m", "line\n", "x", "\r\n", "\x1b[31m", "\x1b[8mha:", "QUJD", "\x1b[0m", "ha:"}
	for round := 0; round < 30; round++ {
		var log strings.Builder
		var index strings.Builder
		for seg := 0; seg < 6; seg++ {
			owner := []string{"", "4", "6"}[rng.IntN(3)]
			fmt.Fprintf(&index, "%d %s\n", log.Len(), owner)
			// Segments hold whole notes: Jenkins writes a note and its text in one write.
			for k := rng.IntN(12); k > 0; k-- {
				log.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		dir := logsWriteBuild(t, map[string]string{"log": log.String(), "log-index": strings.ReplaceAll(index.String(), " \n", "\n")})
		l, err := OpenLog(dir)
		require.NoError(t, err)
		for _, id := range []string{"4", "6"} {
			full := logsReadStep(t, l, id)
			for n := int64(1); n <= int64(len(full))+3; n++ {
				got, err := l.Tail(id, n)
				require.NoError(t, err)
				want := full[max(0, int64(len(full))-n):]
				require.Equal(t, want, string(got), "round %d node %s Tail(%d)", round, id, n)
			}
		}
		l.Close()
	}
}

func TestTailLongNoteAcrossContext(t *testing.T) {
	// A note longer than the first context read, cut by the tail window: the context grows.
	long := "\x1b[8mha:" + strings.Repeat("QUJD", 5000) + "\x1b[0m"
	text := strings.Repeat("a", 30000) + long + "tail\n"
	got, err := tailStripped(strings.NewReader(text), int64(len(text)), 4)
	require.NoError(t, err)
	assert.Equal(t, "ail\n", string(got))
	got, err = tailStripped(strings.NewReader(text), int64(len(text)), 7000)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("a", 7000-5)+"tail\n", string(got))
}

func FuzzLogIndex(f *testing.F) {
	f.Add([]byte("673 3\n704\n1309 3\n1348 5\n"), int64(1419))
	f.Add([]byte("0 2\nxx\n5 3\n"), int64(9))
	f.Add([]byte(""), int64(0))
	f.Add([]byte("5 2\n3 4\n\r\n 7\n"), int64(100))
	f.Fuzz(func(t *testing.T, index []byte, size int64) {
		if size < 0 {
			size = -size
		}
		size %= 1 << 20
		segs, bad, _, err := parseLogIndex(bufio.NewReader(bytes.NewReader(index)), size, "log-index")
		require.NoError(t, err)
		// Ranges lie inside the log, are non-empty, ordered and disjoint.
		var all []segment
		for id, ss := range segs {
			_, isBad := bad[id]
			require.False(t, isBad, "bad node %q still has ranges", id)
			for i, s := range ss {
				require.True(t, 0 <= s.start && s.start < s.end && s.end <= size, "range %v of %q outside [0,%d)", s, id, size)
				if i > 0 {
					require.Less(t, ss[i-1].end, s.start+1)
				}
				all = append(all, s)
			}
		}
		for i := range all {
			for j := range all {
				if i != j {
					require.False(t, all[i].start < all[j].end && all[j].start < all[i].end, "ranges %v and %v overlap", all[i], all[j])
				}
			}
		}
	})
}

func FuzzStripConsoleNotes(f *testing.F) {
	f.Add([]byte("a"+consoleNoteSample+"b\r\n"), uint8(3))
	f.Add([]byte("\x1b[8mha:AAAA\x1b[0"), uint8(1))
	f.Add([]byte("\x1b[8mha:\x1b[8mha:A\x1b[0m\x1b[0m"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want := StripConsoleNotes(data)
		r := newNoteStripper(&noteChunkReader{data: data, sizes: []int{int(chunk%17) + 1, 1, 2}}, 0)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, want, got)
		// Tail over the same bytes agrees with the end of the stripped whole.
		for _, n := range []int64{1, 5, int64(len(want)) + 1} {
			tail, err := tailStripped(bytes.NewReader(data), int64(len(data)), n)
			require.NoError(t, err)
			require.Equal(t, want[max(0, int64(len(want))-n):], tail, "Tail(%d)", n)
		}
	})
}

// BenchmarkLogStep reads one step of a 5 MB log whose index interleaves 150 nodes.
func BenchmarkLogStep(b *testing.B) {
	dir := b.TempDir()
	var log bytes.Buffer
	var index bytes.Buffer
	line := []byte(consoleNoteSample + "[Pipeline] sh\n")
	out := []byte("+ make -j8 some/target/with/a/long/path.o\r\n")
	for i := 0; log.Len() < 5<<20; i++ {
		fmt.Fprintf(&index, "%d\n", log.Len())
		log.Write(line)
		fmt.Fprintf(&index, "%d %d\n", log.Len(), 10+i%150)
		for k := 0; k < 20; k++ {
			log.Write(out)
		}
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "log"), log.Bytes(), 0o644))
	require.NoError(b, os.WriteFile(filepath.Join(dir, "log-index"), index.Bytes(), 0o644))
	l, err := OpenLog(dir)
	require.NoError(b, err)
	defer l.Close()
	b.SetBytes(l.Size("77"))
	b.ResetTimer()
	for b.Loop() {
		n, err := io.Copy(io.Discard, l.Step("77"))
		if err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
}

// FuzzOpenLog runs arbitrary log and log-index bytes through OpenLog, Step and Tail: no panic,
// and every node's Tail is the end of its Step text.
func FuzzOpenLog(f *testing.F) {
	f.Add([]byte("Started\n"+consoleNoteSample+"[Pipeline] sh\n+ make\r\nFinished\n"), []byte("8 3\n300\n309 4\n"))
	f.Add([]byte("aaaabbbb"), []byte("0 2\nx\n4 2\n"))
	f.Add([]byte("\x1b[8mha:AAAA\x1b[0mz"), []byte("0 1\n"))
	f.Fuzz(func(t *testing.T, log, index []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "log"), log, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "log-index"), index, 0o644))
		l, err := OpenLog(dir)
		require.NoError(t, err)
		defer l.Close()
		for _, id := range l.Nodes() {
			full, err := io.ReadAll(l.Step(id))
			require.NoError(t, err)
			require.LessOrEqual(t, int64(len(full)), l.Size(id))
			for _, n := range []int64{1, 3, int64(len(full))} {
				tail, err := l.Tail(id, n)
				require.NoError(t, err)
				require.Equal(t, full[max(0, int64(len(full))-n):], tail, "node %q Tail(%d)", id, n)
			}
		}
	})
}

// BenchmarkLogTail reads the last 10 KiB of one step of a 5 MB log.
func BenchmarkLogTail(b *testing.B) {
	dir := b.TempDir()
	var log, index bytes.Buffer
	fmt.Fprintf(&index, "0 5\n")
	for log.Len() < 5<<20 {
		log.WriteString(consoleNoteSample + "+ make -j8 some/target/with/a/long/path.o\r\n")
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "log"), log.Bytes(), 0o644))
	require.NoError(b, os.WriteFile(filepath.Join(dir, "log-index"), index.Bytes(), 0o644))
	l, err := OpenLog(dir)
	require.NoError(b, err)
	defer l.Close()
	b.SetBytes(10 << 10)
	for b.Loop() {
		tail, err := l.Tail("5", 10<<10)
		if err != nil || len(tail) != 10<<10 {
			b.Fatal(len(tail), err)
		}
	}
}

// Step on per-node files may race Close (a Log is safe for concurrent use): it must neither
// panic (registering its file in the map Close dropped) nor leave its file open.
func TestLogPerNodeStepRacesClose(t *testing.T) {
	dir := logsWriteBuild(t, map[string]string{"3.log": "text\n"})
	for range 300 {
		l, err := OpenLog(dir)
		require.NoError(t, err)
		closed := make(chan struct{})
		go func() { l.Close(); close(closed) }()
		r := l.Step("3")
		<-closed
		got, err := io.ReadAll(r)
		if err != nil {
			require.ErrorIs(t, err, os.ErrClosed)
		} else {
			require.Equal(t, "text\n", string(got))
		}
		l.mu.Lock()
		require.Empty(t, l.open, "a file handed out after Close is left open")
		l.mu.Unlock()
	}
}

// TestLogRealCorpus opens the log of every build in the shared corpus and checks, for every
// node with text, that Step equals StripConsoleNotes over the node's raw ranges and that Tail
// is the end of Step.
func TestLogRealCorpus(t *testing.T) {
	root := logsRealDir(t, ".")
	refs, errs := FindBuilds(root)
	require.Empty(t, errs)
	var indexed, perNode, nodes int
	for _, ref := range refs {
		l, err := OpenLog(ref.Dir)
		require.NoError(t, err, ref.Dir)
		assert.Empty(t, l.Problems(), ref.Dir)
		if l.Indexed() {
			indexed++
		} else {
			perNode++
		}
		raw, err := os.ReadFile(filepath.Join(ref.Dir, "log"))
		require.NoError(t, err)
		for _, id := range l.Nodes() {
			nodes++
			text := logsReadStep(t, l, id)
			var owned []byte
			if l.Indexed() {
				for _, s := range l.segs[id] {
					owned = append(owned, raw[s.start:s.end]...)
				}
			} else {
				owned, err = os.ReadFile(filepath.Join(ref.Dir, id+".log"))
				require.NoError(t, err)
			}
			assert.Equal(t, string(StripConsoleNotes(owned)), text, "%s node %s", ref.Dir, id)
			assert.Equal(t, int64(len(owned)), l.Size(id))
			for _, n := range []int64{1, 10, 100, int64(len(text))} {
				tail, err := l.Tail(id, n)
				require.NoError(t, err)
				assert.Equal(t, text[max(0, int64(len(text))-n):], string(tail), "%s node %s Tail(%d)", ref.Dir, id, n)
			}
		}
		l.Close()
	}
	t.Logf("%d builds: %d with log-index, %d without; %d nodes with text", len(refs), indexed, perNode, nodes)
	assert.Equal(t, 22, indexed+perNode)
}
