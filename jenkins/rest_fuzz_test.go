package jenkins

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRESTDecode feeds arbitrary bytes to every decoder of controller answers and to what maps
// them onto builds and steps: none may panic, whatever the controller (or a proxy) sends.
func FuzzRESTDecode(f *testing.F) {
	f.Add([]byte(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","result":"FAILURE","actions":[{"_class":"hudson.plugins.git.util.BuildData","lastBuiltRevision":{"SHA1":"x","branch":[{"name":"refs/remotes/origin/main"}]}},{"_class":"hudson.model.ParametersAction","parameters":[{"name":"A","value":{"x":[1]}}]},{"_class":"hudson.model.CauseAction","causes":[{"_class":"ReplayCause","shortDescription":"Replayed #99999999999999999999"}]}]}`))
	f.Add([]byte(`[{"id":"1","type":"STAGE","edges":[{"id":"2"}]},{"id":"2","type":"PARALLEL","edges":[{"id":"1"}]},{"id":"2","displayName":"dup","type":"PARALLEL"}]`))
	f.Add([]byte(`[{"id":"3","displayName":"Shell Script","stepType":"org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep","result":"FAILURE","state":"FINISHED","startTime":"2016-05-06T15:15:08.719-0700","durationInMillis":-5}]`))
	f.Add([]byte(`{"stages":[{"id":"5"}],"stageFlowNodes":[{"id":"6","name":"Shell Script","status":"FAILED","error":{"message":"script returned exit code 99999999999999999999","type":"hudson.AbortException"}}]}`))
	f.Add([]byte(`{"suites":[{"enclosingBlockNames":["a","a","b"],"cases":[{"duration":1e300,"status":"REGRESSION"}]}]}`))
	if data, err := os.ReadFile(filepath.Join("testdata", "rest", "multibranch.json")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := decodeRun(data); err == nil {
			applyRun(r, &Build{}, "PR-1")
			prHeadFromBuildData(data, "PR-1", 1)
		}
		if nodes, err := decodeBONodes(data); err == nil {
			paths := boStagePaths(nodes)
			for _, n := range nodes {
				_ = paths[n.ID]
			}
		}
		if steps, err := decodeBOSteps(data); err == nil {
			for _, s := range steps {
				if kind, ok := boShellKind(s); ok {
					boShellStep(s, kind, nil)
				}
			}
		}
		if n, err := decodeWFNode(data); err == nil {
			for _, c := range append(n.Stages, n.StageFlowNodes...) {
				wfShellStep(c, []string{n.Name})
			}
		}
		decodeTestReport(data)
		pgvAgents(data)
		shellKindByName(string(data), string(data))
		wfLogText(string(data))
		prHead(string(data))
		decodeItemName(string(data))
		parseNetrc(data)
		parseRESTSource(string(data))
	})
}

// The decoders the fuzz and table tests call: the reader itself unmarshals into the same types.

func decodeBONodes(data []byte) ([]boNode, error) {
	var v []boNode
	return v, json.Unmarshal(data, &v)
}

func decodeBOSteps(data []byte) ([]boStep, error) {
	var v []boStep
	return v, json.Unmarshal(data, &v)
}

func decodeWFNode(data []byte) (*wfNode, error) {
	var v wfNode
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
