package jenkins

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeIndexedLog writes a build dir whose log gives node "5" the text want.
func writeIndexedLog(t *testing.T, dir, want string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	head := "Started by user admin\n[Pipeline] sh\n"
	log := head + want + "[Pipeline] End of Pipeline\nFinished: SUCCESS\n"
	idx := fmt.Sprintf("%d 5\n%d\n", len(head), len(head)+len(want))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "log"), []byte(log), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "log-index"), []byte(idx), 0o644))
}

func TestStepLogsAcrossBuildsAndEviction(t *testing.T) {
	root := t.TempDir()
	var builds []*Build
	for i := 0; i < 5; i++ {
		dir := filepath.Join(root, fmt.Sprint(i))
		writeIndexedLog(t, dir, fmt.Sprintf("+ make -j2\nbuild %d done\n", i))
		builds = append(builds, &Build{Dir: dir})
	}
	logs := NewStepLogs(2)
	defer logs.Close()

	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for i, b := range builds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := logs.StepLog(b, &Step{ID: "5"}, 0)
				assert.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("+ make -j2\nbuild %d done\n", i), string(got))
				tail, err := logs.StepLog(b, &Step{ID: "5"}, 6)
				assert.NoError(t, err)
				assert.Equal(t, " done\n", string(tail)[len(tail)-6:])
			}()
		}
	}
	wg.Wait()
	assert.LessOrEqual(t, logs.lru.Len(), 2, "no more logs kept open than asked")
}

func TestStepLogsMissingLogNamesBuild(t *testing.T) {
	logs := NewStepLogs(4)
	defer logs.Close()
	dir := filepath.Join(t.TempDir(), "7")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	_, err := logs.StepLog(&Build{Dir: dir}, &Step{ID: "5"}, 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), dir)
}

func TestStepLogsBuildLogTail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "3")
	writeIndexedLog(t, dir, "+ make\n")
	logs := NewStepLogs(1)
	defer logs.Close()

	all, err := logs.BuildLog(&Build{Dir: dir}, 0)
	require.NoError(t, err)
	assert.Equal(t, "Started by user admin\n[Pipeline] sh\n+ make\n[Pipeline] End of Pipeline\nFinished: SUCCESS\n", string(all))

	tail, err := logs.BuildLog(&Build{Dir: dir}, 30)
	require.NoError(t, err)
	assert.Equal(t, "Finished: SUCCESS\n", string(tail), "a line cut by the byte budget is dropped")
}
