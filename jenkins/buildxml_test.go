package jenkins

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readerIntPtr(n int) *int { return &n }

// libraryAndProject is a build that loaded a shared library before checking out the project:
// two BuildData, the library's first; the project's history has three branches and lastBuild
// points at the third (JENKINS_FORMATS.md §3.1, MST/GITMB shapes).
const libraryAndProject = `
<hudson.plugins.git.util.BuildData plugin="git@4.7.2">
  <buildsByBranchName>
    <entry><string>master</string>
      <hudson.plugins.git.util.Build>
        <marked><sha1>1111111111111111111111111111111111111111</sha1>
          <branches class="singleton-set"><hudson.plugins.git.Branch><sha1 reference="../../../sha1"/><name>master</name></hudson.plugins.git.Branch></branches>
        </marked>
        <revision reference="../marked"/>
        <hudsonBuildNumber>5</hudsonBuildNumber>
      </hudson.plugins.git.util.Build>
    </entry>
  </buildsByBranchName>
  <lastBuild reference="../buildsByBranchName/entry/hudson.plugins.git.util.Build"/>
  <remoteUrls><string>https://git.example/lib.git</string></remoteUrls>
</hudson.plugins.git.util.BuildData>
<hudson.plugins.git.util.BuildData plugin="git@4.7.2">
  <buildsByBranchName>
    <entry><string>refs/remotes/origin/old</string>
      <hudson.plugins.git.util.Build><marked><sha1>aaaa</sha1><branches/></marked><revision reference="../marked"/><hudsonBuildNumber>1</hudsonBuildNumber></hudson.plugins.git.util.Build>
    </entry>
    <entry><string>refs/remotes/origin/other</string>
      <hudson.plugins.git.util.Build><marked><sha1>bbbb</sha1><branches/></marked><revision reference="../marked"/><hudsonBuildNumber>2</hudsonBuildNumber></hudson.plugins.git.util.Build>
    </entry>
    <entry><string>refs/remotes/origin/main</string>
      <hudson.plugins.git.util.Build>
        <marked><sha1>1234567890abcdef1234567890abcdef12345678</sha1>
          <branches class="singleton-set"><hudson.plugins.git.Branch><sha1 reference="../../../sha1"/><name>refs/remotes/origin/main</name></hudson.plugins.git.Branch></branches>
        </marked>
        <revision reference="../marked"/>
        <hudsonBuildNumber>5</hudsonBuildNumber>
      </hudson.plugins.git.util.Build>
    </entry>
  </buildsByBranchName>
  <lastBuild reference="../buildsByBranchName/entry[3]/hudson.plugins.git.util.Build"/>
  <remoteUrls><string>https://git.example/project.git</string></remoteUrls>
  <index>2</index>
</hudson.plugins.git.util.BuildData>`

const libraryAndProjectCheckouts = `
<checkouts class="hudson.util.PersistedList">
  <org.jenkinsci.plugins.workflow.job.WorkflowRun_-SCMCheckout>
    <scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>https://git.example/lib.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>
    <node></node><workspace>/var/jenkins/workspace/p@libs/mylib</workspace>
  </org.jenkinsci.plugins.workflow.job.WorkflowRun_-SCMCheckout>
  <org.jenkinsci.plugins.workflow.job.WorkflowRun_-SCMCheckout>
    <scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>https://git.example/project.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>
    <node>agent-1</node><workspace>/var/jenkins/workspace/p</workspace>
  </org.jenkinsci.plugins.workflow.job.WorkflowRun_-SCMCheckout>
</checkouts>`

// buildXMLCase is one build.xml and what parseBuildXML reads from it.
type buildXMLCase struct {
	name string
	xml  string
	want Build
	bx   buildXML
}

// buildXMLCases are the build.xml shapes of JENKINS_FORMATS.md §3 (also fuzz seeds).
func buildXMLCases() []buildXMLCase {
	start := time.UnixMilli(1736954750315).UTC()
	return []buildXMLCase{
		{
			name: "modern completed with user cause and parameters",
			xml: strings.Replace(fxBuildXML("FAILURE", `
    <hudson.model.CauseAction><causeBag class="linked-hash-map">
      <entry><hudson.model.Cause_-UserIdCause><userId>alice</userId></hudson.model.Cause_-UserIdCause><int>1</int></entry>
      <entry><org.jenkinsci.plugins.workflow.cps.replay.ReplayCause plugin="workflow-cps@1.0"><originalNumber>12</originalNumber></org.jenkinsci.plugins.workflow.cps.replay.ReplayCause><int>1</int></entry>
    </causeBag></hudson.model.CauseAction>
    <hudson.model.ParametersAction>
      <safeParameters class="sorted-set"/>
      <parameters>
        <hudson.model.StringParameterValue><name>IMAGE</name><value>ci-gpu:v0.60</value></hudson.model.StringParameterValue>
        <hudson.model.BooleanParameterValue><name>FAST</name><value>true</value></hudson.model.BooleanParameterValue>
        <hudson.model.PasswordParameterValue><name>TOKEN</name><value>{AQAAABAAAAAQsecret}</value></hudson.model.PasswordParameterValue>
        <com.cloudbees.plugins.credentials.CredentialsParameterValue><name>CREDS</name><value>deploy-key</value></com.cloudbees.plugins.credentials.CredentialsParameterValue>
      </parameters>
    </hudson.model.ParametersAction>`, "workflow-completed"), "<checkouts class=\"hudson.util.PersistedList\"/>", libraryAndProjectCheckouts, 1),
			want: Build{Result: ResultFailure, Completed: true, Start: start, Duration: 12639 * time.Millisecond,
				Causes: []Cause{{Kind: "UserIdCause", Description: "user alice"},
					{Kind: "ReplayCause", Description: "replay of #12", OriginalNumber: readerIntPtr(12)}},
				Parameters: []Parameter{{Name: "IMAGE", Value: "ci-gpu:v0.60"}, {Name: "FAST", Value: "true"},
					{Name: "TOKEN", Sensitive: true}, {Name: "CREDS", Sensitive: true}}},
			bx: buildXML{hasExecution: true, done: true, storageDir: "workflow-completed", iota: 99},
		},
		{
			name: "plain job: the project's BuildData, not the library's, and its lastBuild not entry 1",
			xml:  strings.Replace(fxBuildXML("SUCCESS", libraryAndProject, ""), "<checkouts class=\"hudson.util.PersistedList\"/>", libraryAndProjectCheckouts, 1),
			want: Build{Result: ResultSuccess, Completed: true, Start: start, Duration: 12639 * time.Millisecond,
				Revision: "1234567890abcdef1234567890abcdef12345678", Branch: "main", Remote: "https://git.example/project.git"},
			bx: buildXML{hasExecution: true, done: true, iota: 99},
		},
		{
			name: "library BuildData only: no revision rather than the library's",
			xml: strings.Replace(fxBuildXML("SUCCESS", libraryAndProject[:strings.Index(libraryAndProject, "</hudson.plugins.git.util.BuildData>")]+"</hudson.plugins.git.util.BuildData>", ""),
				"<checkouts class=\"hudson.util.PersistedList\"/>", libraryAndProjectCheckouts, 1),
			want: Build{Result: ResultSuccess, Completed: true, Start: start, Duration: 12639 * time.Millisecond},
			bx:   buildXML{hasExecution: true, done: true, iota: 99},
		},
		{
			name: "multibranch branch: SCMRevisionAction hash and head name",
			xml: fxBuildXML("SUCCESS", `
    <jenkins.scm.api.SCMRevisionAction plugin="scm-api@2.6.4">
      <sourceId>08f50363</sourceId>
      <revision class="jenkins.plugins.git.GitBranchSCMRevision" plugin="git@4.7.2">
        <head class="jenkins.plugins.git.GitBranchSCMHead"><name>feature/x</name></head>
        <hash>ee60d43d74d4e3716cfe723d566fcc738415b4a9</hash>
      </revision>
    </jenkins.scm.api.SCMRevisionAction>`, ""),
			want: Build{Result: ResultSuccess, Completed: true, Start: start, Duration: 12639 * time.Millisecond,
				Revision: "ee60d43d74d4e3716cfe723d566fcc738415b4a9", Branch: "feature/x"},
			bx: buildXML{hasExecution: true, done: true, iota: 99},
		},
		{
			name: "GitHub pull request: pullHash is the revision",
			xml: fxBuildXML("FAILURE", `
    <jenkins.scm.api.SCMRevisionAction plugin="scm-api@2.6.4">
      <sourceId>s</sourceId>
      <revision class="org.jenkinsci.plugins.github_branch_source.PullRequestSCMRevision" plugin="github-branch-source@1.0">
        <head class="org.jenkinsci.plugins.github_branch_source.PullRequestSCMHead">
          <name>PR-123</name><merge>true</merge><number>123</number>
          <target><name>main</name></target>
          <sourceOwner>fork-owner</sourceOwner><sourceRepo>tvm</sourceRepo><sourceBranch>feature-x</sourceBranch>
          <origin class="jenkins.scm.api.SCMHeadOrigin$Fork"><name>fork-owner/tvm</name></origin>
        </head>
        <target class="jenkins.plugins.git.AbstractGitSCMSource$SCMRevisionImpl"><head reference="../../head/target"/><hash>bbbb</hash></target>
        <baseHash>bbbb</baseHash>
        <pullHash>pppp</pullHash>
        <mergeHash>mmmm</mergeHash>
      </revision>
    </jenkins.scm.api.SCMRevisionAction>`, ""),
			want: Build{Result: ResultFailure, Completed: true, Start: start, Duration: 12639 * time.Millisecond,
				Revision: "pppp", Branch: "PR-123",
				PR: &PullRequest{Number: 123, Head: "pppp", Base: "bbbb", Merge: "mmmm", Target: "main", MergeStrategy: true,
					SourceOwner: "fork-owner", SourceRepo: "tvm", SourceBranch: "feature-x"}},
			bx: buildXML{hasExecution: true, done: true, iota: 99},
		},
		{
			name: "Bitbucket-style pull request without pullHash: number from the head name",
			xml: fxBuildXML("SUCCESS", `
    <jenkins.scm.api.SCMRevisionAction>
      <revision class="com.cloudbees.jenkins.plugins.bitbucket.PullRequestSCMRevision">
        <head class="com.cloudbees.jenkins.plugins.bitbucket.PullRequestSCMHead"><name>PR-7-head</name></head>
        <hash>hhhh</hash>
      </revision>
    </jenkins.scm.api.SCMRevisionAction>`, ""),
			want: Build{Result: ResultSuccess, Completed: true, Start: start, Duration: 12639 * time.Millisecond,
				Revision: "hhhh", Branch: "PR-7-head", PR: &PullRequest{Number: 7, Head: "hhhh"}},
			bx: buildXML{hasExecution: true, done: true, iota: 99},
		},
		{
			name: "running: no result, not completed",
			xml:  fxBuildXML("", "", ""),
			want: Build{Completed: false, Start: start},
			bx:   buildXML{hasExecution: true, iota: 99},
		},
		{
			name: "2017 alias-free: causes list, no <completed>, no <execution>",
			xml: `<?xml version='1.0' encoding='UTF-8'?>
<flow-build plugin="workflow-job@2.10">
  <actions>
    <hudson.model.CauseAction><causes><jenkins.branch.BranchIndexingCause plugin="branch-api@2.0.7"/><hudson.model.Cause_-UserCause><authenticationName>bob</authenticationName></hudson.model.Cause_-UserCause></causes></hudson.model.CauseAction>
  </actions>
  <queueId>2</queueId>
  <timestamp>1521734312832</timestamp>
  <result>FAILURE</result>
  <duration>2243</duration>
  <keepLog>false</keepLog>
</flow-build>`,
			want: Build{Result: ResultFailure, Completed: true, Start: time.UnixMilli(1521734312832).UTC(), Duration: 2243 * time.Millisecond,
				Causes: []Cause{{Kind: "BranchIndexingCause", Description: "branch indexing"}, {Kind: "UserCause", Description: "user bob"}}},
		},
	}
}

func TestParseBuildXML(t *testing.T) {
	for _, tc := range buildXMLCases() {
		t.Run(tc.name, func(t *testing.T) {
			var b Build
			bx, err := parseBuildXML("build.xml", []byte(tc.xml), &b)
			require.NoError(t, err)
			assert.Equal(t, tc.want, b)
			assert.Equal(t, tc.bx, bx)
		})
	}
}

func TestParseBuildXMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, xml, want string
		notPipeline     bool
	}{
		{"freestyle", "<?xml version='1.1' encoding='UTF-8'?>\n<build><result>SUCCESS</result></build>", "jobs/f/builds/3/build.xml: root element <build>: not a Pipeline build", true},
		{"matrix", "<matrix-build/>", "root element <matrix-build>", true},
		{"truncated", "<?xml version='1.1' encoding='UTF-8'?>\n<flow-build><actions>", "jobs/f/builds/3/build.xml: XML syntax error", false},
		{"empty", "", "jobs/f/builds/3/build.xml", false},
		{"invalid byte before a 1.1 version", "<?xml\xb8version\"1.1?>", "jobs/f/builds/3/build.xml", false},
		{"bad result", "<flow-build><result>GREEN</result></flow-build>", `unknown result "GREEN"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseBuildXML("jobs/f/builds/3/build.xml", []byte(tc.xml), &Build{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.notPipeline, errors.Is(err, ErrNotPipeline))
		})
	}
}

func FuzzReadBuildXML(f *testing.F) {
	f.Add([]byte(fxBuildXML("SUCCESS", libraryAndProject, "workflow-completed")))
	f.Add([]byte(strings.Replace(fxBuildXML("SUCCESS", libraryAndProject, ""), "<checkouts class=\"hudson.util.PersistedList\"/>", libraryAndProjectCheckouts, 1)))
	f.Add([]byte(fxBuildXML("", `<hudson.model.CauseAction><causeBag><entry><a reference="../b"/><b reference="../a"/></entry></causeBag></hudson.model.CauseAction>`, "")))
	f.Add([]byte(`<flow-build><actions><jenkins.scm.api.SCMRevisionAction><revision class="x.PullRequestSCMRevision" reference="../../.."/></jenkins.scm.api.SCMRevisionAction></actions></flow-build>`))
	f.Add([]byte("<build/>"))
	f.Add([]byte("<?xml\xb8version\"1.1?>")) // once panicked in sanitizeXML
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := readBuildBytes("build.xml", data)
		if err == nil && b == nil {
			t.Fatal("nil build without error")
		}
	})
}
