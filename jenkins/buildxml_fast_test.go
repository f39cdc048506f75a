package jenkins

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Proof that the fast build.xml reader reads what the careful one does: on every build.xml of
// the corpus and the fixtures (Pipeline or not), on the table cases, and on fuzzed bytes.

// buildXMLRead is everything parseBuildXML gives.
type buildXMLRead struct {
	b   Build
	bx  buildXML
	err string
}

// buildXMLBothWays parses data carefully and fast. declined says the fast path gave up.
func buildXMLBothWays(data []byte) (careful, fast buildXMLRead, declined bool) {
	var errC, errF error
	careful.bx, errC = parseBuildXML("build.xml", data, &careful.b)
	opts := &readOpts{}
	fast.bx, errF = parseBuildXMLWith(newFastParser(), "build.xml", data, &fast.b, opts)
	careful.err, fast.err = fmt.Sprint(errC), fmt.Sprint(errF)
	return careful, fast, len(opts.declined) > 0
}

func TestFastBuildXMLEqualsCareful(t *testing.T) {
	files, declined := 0, 0
	check := func(where string, data []byte) {
		careful, fast, dec := buildXMLBothWays(data)
		require.Equal(t, careful, fast, where)
		files++
		if dec {
			declined++
			t.Logf("declined: %s", where)
		}
	}
	for _, tc := range buildXMLCases() {
		check(tc.name, []byte(tc.xml))
	}
	for _, dir := range fastFixtureBuilds(t) {
		data, err := os.ReadFile(filepath.Join(dir, "build.xml"))
		require.NoError(t, err)
		check(dir, data)
	}
	for _, root := range fastCorpusDirs(t) {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "build.xml" {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			check(p, data)
			return nil
		})
		require.NoError(t, err)
	}
	t.Logf("%d build.xml files read equal both ways; %d declined", files, declined)
	assert.Less(t, declined, files/10+1, "the fast path should take almost every real build.xml")
}

// buildXMLTemplates are build.xml files with a hole (NUL) for fuzzed bytes: in text, in
// attribute values, in references, in names and between elements.
var buildXMLTemplates = []string{
	fxBuildXML("FAILURE", libraryAndProject+"\x00", "workflow-completed"),
	fxBuildXML("SUCCESS", `<hudson.model.CauseAction><causeBag class="linked-hash-map"><entry><hudson.model.Cause_-UserIdCause><userId>`+"\x00"+`</userId></hudson.model.Cause_-UserIdCause><int>1</int></entry></causeBag></hudson.model.CauseAction>`, ""),
	fxBuildXML("SUCCESS", `<hudson.model.ParametersAction><parameters><hudson.model.StringParameterValue><name>P</name><value>`+"\x00"+`</value></hudson.model.StringParameterValue></parameters></hudson.model.ParametersAction>`, ""),
	strings.Replace(fxBuildXML("SUCCESS", libraryAndProject, ""), `reference="../marked"`, `reference="`+"\x00"+`"`, 1),
	strings.Replace(fxBuildXML("SUCCESS", libraryAndProject, ""), `<lastBuild reference`, "<\x00 reference", 1),
	strings.Replace(fxBuildXML("SUCCESS", "", "x"), "<storageDir>x</storageDir>", "<storageDir a='\x00'>\x00</storageDir>", 1),
	"<?xml version='1.1' encoding='UTF-8'?>\n<flow-build>\x00<result>SUCCESS</result><completed>true</completed><execution><iota>\x00</iota></execution></flow-build>",
}

// FuzzFastBuildXMLEqualsCareful: on any bytes, alone and spliced into build.xml files, the
// fast reader declines or gives the careful reader's Build, buildXML and error.
func FuzzFastBuildXMLEqualsCareful(f *testing.F) {
	for _, tc := range buildXMLCases() {
		f.Add([]byte(tc.xml))
	}
	f.Add([]byte("<?xml version='1.1' encoding='UTF-8'?>\n<build><result>SUCCESS</result></build>"))
	f.Add([]byte("<flow-build><result>GREEN</result></flow-build>"))
	f.Add([]byte("<flow-build><result> SUCCESS <!-- c --></result><duration>&#49;2</duration><actions><![CDATA[x]]></actions></flow-build>"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fastBuildXMLCheck(t, data)
		for _, tpl := range buildXMLTemplates {
			fastBuildXMLCheck(t, []byte(strings.Replace(tpl, "\x00", string(data), -1)))
		}
	})
}

func fastBuildXMLCheck(t *testing.T, data []byte) {
	var b Build
	opts := &readOpts{}
	_, _ = parseBuildXMLWith(newFastParser(), "build.xml", data, &b, opts)
	for _, d := range opts.declined {
		if strings.Contains(d, fastInternalError) {
			t.Fatalf("input %q: %s", data, d)
		}
	}
	careful, fast, _ := buildXMLBothWays(data)
	if !assert.Equal(t, careful, fast, "input %q", data) {
		t.FailNow()
	}
}

// TestFastBuildXMLTemplatesTaken: the templates with plain text in the hole are read by the
// fast path, so the fuzzer's mutations reach it.
func TestFastBuildXMLTemplatesTaken(t *testing.T) {
	for i, tpl := range buildXMLTemplates {
		data := []byte(strings.Replace(tpl, "\x00", "abc", -1))
		careful, fast, declined := buildXMLBothWays(data)
		assert.Equal(t, careful, fast, "template %d", i)
		if i != 4 { // "<abc reference=...>" is an element the careful reader also accepts
			assert.False(t, declined, "template %d", i)
		}
	}
}

func BenchmarkBuildXMLFast(b *testing.B) {
	data := []byte(fxBuildXML("FAILURE", libraryAndProject, "workflow-completed"))
	fp := newFastParser()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		opts := &readOpts{}
		if _, err := parseBuildXMLWith(fp, "build.xml", data, &Build{}, opts); err != nil || len(opts.declined) > 0 {
			b.Fatal(err, opts.declined)
		}
	}
}

// TestFastBuildXMLMutations is a deterministic stand-in for a fuzzing session (the fuzzer
// crawls on a loaded machine): thousands of mutations of the seeds, each read both ways.
func TestFastBuildXMLMutations(t *testing.T) {
	var seeds [][]byte
	for _, tc := range buildXMLCases() {
		seeds = append(seeds, []byte(tc.xml))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	taken := 0
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		data := xmlMutate(rng, seeds[rng.IntN(len(seeds))])
		fastBuildXMLCheck(t, data)
		if _, _, declined := buildXMLBothWays(data); !declined {
			taken++
		}
	}
	t.Logf("%d mutations equal both ways, %d read by the fast path", n, taken)
	require.Greater(t, taken, n/20)
}

// xmlMutate applies one to three random edits, biased to the bytes XML parsing turns on.
func xmlMutate(rng *rand.Rand, seed []byte) []byte {
	data := append([]byte(nil), seed...)
	special := []string{"<", ">", "&", ";", "&#", "&#x", "&amp;", "&#1;", "&#xD800;", "'", `"`, "/", "\n", "\r", "\t", " ",
		"\x00", "\xc3", "\xc3\xa9", "\xff", "]]>", "<![CDATA[", "<!--", "-->", "<?", "?>", ":", "=", "reference=\"../..\"", "x"}
	for k := 0; k < 1+rng.IntN(3) && len(data) > 0; k++ {
		i := rng.IntN(len(data))
		switch rng.IntN(4) {
		case 0: // insert
			s := special[rng.IntN(len(special))]
			data = append(data[:i], append([]byte(s), data[i:]...)...)
		case 1: // replace a byte
			data[i] = special[rng.IntN(len(special))][0]
		case 2: // delete a run
			j := min(len(data), i+1+rng.IntN(8))
			data = append(data[:i], data[j:]...)
		default: // truncate
			data = data[:i]
		}
	}
	return data
}

// TestFastJUnitEqualsCareful: junitResult.xml read through the fast lexer's DOM gives exactly
// what the careful xmlquery parse gives, for the table cases, every fixture and every real
// file; and the fast path takes them.
func TestFastJUnitEqualsCareful(t *testing.T) {
	files, declined := 0, 0
	check := func(where string, data []byte) {
		t.Helper()
		careful, errC := parseJUnit(where, data)
		opts := &readOpts{}
		fast, errF := parseJUnitWith(newFastParser(), where, data, opts)
		require.Equal(t, fmt.Sprint(errC), fmt.Sprint(errF), where)
		require.Equal(t, careful, fast, where)
		files++
		if len(opts.declined) > 0 {
			declined++
			t.Logf("declined: %s: %v", where, opts.declined)
		}
	}
	walk := func(root string) {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "junitResult.xml" {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			check(p, data)
			return nil
		})
		require.NoError(t, err)
	}
	walk(filepath.Join("..", "fixtures"))
	for _, root := range fastCorpusDirs(t) {
		walk(root)
	}
	require.Positive(t, files)
	t.Logf("%d junitResult.xml files read equal both ways; %d declined", files, declined)
	assert.Less(t, declined, files/10+1, "the fast path should take almost every junitResult.xml")
}

// A Build keeps no reference into the text of its build.xml: the fast reader's DOM names are
// substrings of one copy of the file, and a cause's class taken from one pinned that copy
// (a TVM build.xml, with its Declarative AST and script, is hundreds of KiB) for as long as the
// Build lived.
func TestBuildPinsNoCopyOfBuildXML(t *testing.T) {
	blob := strings.Repeat("x", 4<<20)
	dir := filepath.Join(t.TempDir(), "1")
	require.NoError(t, os.Mkdir(dir, 0o755))
	fxWrite(t, filepath.Join(dir, "build.xml"), fxBuildXML("SUCCESS",
		`<hudson.model.CauseAction><causeBag class="linked-hash-map"><entry><jenkins.branch.BranchIndexingCause/><int>1</int></entry></causeBag></hudson.model.CauseAction>`+
			`<org.example.BigAction><blob>`+blob+`</blob></org.example.BigAction>`, ""))
	const builds = 16
	kept := make([]*Build, 0, builds)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range builds {
		b, err := ReadBuild(dir)
		require.NoError(t, err)
		require.Len(t, b.Causes, 1)
		require.Equal(t, "BranchIndexingCause", b.Causes[0].Kind)
		kept = append(kept, b)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grown, int64(builds*len(blob)/4), "the Builds hold copies of their build.xml")
	runtime.KeepAlive(kept)
}
