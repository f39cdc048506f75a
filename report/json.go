package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"

	"github.com/cidiff/cidiff/analyzer"
)

// The JSON report is the analyzer's Comparison as the contract names it, redacted, with links
// added. Each wire type embeds the analyzer's type so every field the analyzer has (now or
// later) is written, and only adds or replaces what links need.
type jsonComparison struct {
	*analyzer.Comparison
	Pairs    []jsonPair   `json:"pairs"`
	Unpaired jsonUnpaired `json:"unpaired"`
	// GeneratedAt is when the report was written (RFC 3339 UTC).
	GeneratedAt string `json:"generated_at"`
	ProdURL     string `json:"prod_url,omitempty"`
	StagingURL  string `json:"staging_url,omitempty"`
}

type jsonPair struct {
	analyzer.Pair
	Prod        jsonBuild        `json:"prod"`
	Staging     jsonBuild        `json:"staging"`
	Older       jsonOlder        `json:"older"`
	Differences []jsonDifference `json:"differences"`
}

type jsonOlder struct {
	Prod    []jsonBuild `json:"prod"`
	Staging []jsonBuild `json:"staging"`
}

type jsonBuild struct {
	analyzer.BuildRef
	// URL is the build's page on its controller, when the controller's URL was given.
	URL string `json:"url,omitempty"`
}

type jsonDifference struct {
	analyzer.Difference
	// ProdLogURL and StagingLogURL are the step's log pages, where the step ran and the
	// controller's URL was given.
	ProdLogURL    string `json:"prod_log_url,omitempty"`
	StagingLogURL string `json:"staging_log_url,omitempty"`
}

type jsonUnpaired struct {
	Prod    []jsonUnpairedBuild `json:"prod"`
	Staging []jsonUnpairedBuild `json:"staging"`
}

type jsonUnpairedBuild struct {
	analyzer.UnpairedBuild
	URL string `json:"url,omitempty"`
}

func writeJSON(w io.Writer, c *analyzer.Comparison, opts Options) error {
	rc, err := redactedCopy(c)
	if err != nil {
		return err
	}
	out := jsonComparison{
		Comparison:  rc,
		Pairs:       make([]jsonPair, 0, len(rc.Pairs)),
		GeneratedAt: opts.Now().UTC().Format("2006-01-02T15:04:05Z"),
		ProdURL:     opts.ProdURL,
		StagingURL:  opts.StagingURL,
		Unpaired:    jsonUnpaired{Prod: []jsonUnpairedBuild{}, Staging: []jsonUnpairedBuild{}},
	}
	if out.SchemaVersion == 0 {
		out.SchemaVersion = analyzer.SchemaVersion
	}
	// Lists are [] rather than null, whoever built the comparison.
	if rc.Systematic == nil {
		rc.Systematic = []analyzer.SystematicFinding{}
	}
	if rc.Errors == nil {
		rc.Errors = []analyzer.InputError{}
	}
	if rc.Warnings == nil {
		rc.Warnings = []string{}
	}
	build := func(b analyzer.BuildRef, base string) jsonBuild {
		return jsonBuild{BuildRef: b, URL: BuildURL(base, b.Job, b.Number)}
	}
	for _, p := range rc.Pairs {
		if p.BothFailed == nil {
			p.BothFailed = []analyzer.BothFailedStep{}
		}
		jp := jsonPair{
			Pair:        p,
			Prod:        build(p.Prod, opts.ProdURL),
			Staging:     build(p.Staging, opts.StagingURL),
			Older:       jsonOlder{Prod: []jsonBuild{}, Staging: []jsonBuild{}},
			Differences: make([]jsonDifference, 0, len(p.Differences)),
		}
		for _, b := range p.Older.Prod {
			jp.Older.Prod = append(jp.Older.Prod, build(b, opts.ProdURL))
		}
		for _, b := range p.Older.Staging {
			jp.Older.Staging = append(jp.Older.Staging, build(b, opts.StagingURL))
		}
		for _, d := range p.Differences {
			jd := jsonDifference{Difference: d}
			if d.Evidence == nil {
				jd.Evidence = []string{}
			}
			if d.Prod != nil && d.Prod.ID != "" && jp.Prod.URL != "" {
				jd.ProdLogURL = stepLogURL(jp.Prod.URL, d.Prod.ID)
			}
			if d.Staging != nil && d.Staging.ID != "" && jp.Staging.URL != "" {
				jd.StagingLogURL = stepLogURL(jp.Staging.URL, d.Staging.ID)
			}
			jp.Differences = append(jp.Differences, jd)
		}
		out.Pairs = append(out.Pairs, jp)
	}
	for _, u := range rc.Unpaired.Prod {
		out.Unpaired.Prod = append(out.Unpaired.Prod, jsonUnpairedBuild{UnpairedBuild: u, URL: BuildURL(opts.ProdURL, u.Job, u.Number)})
	}
	for _, u := range rc.Unpaired.Staging {
		out.Unpaired.Staging = append(out.Unpaired.Staging, jsonUnpairedBuild{UnpairedBuild: u, URL: BuildURL(opts.StagingURL, u.Job, u.Number)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// redactedCopy deep-copies c through JSON (so the caller's comparison stays as it was) and
// cleans (escape sequences out) and redacts every string in the copy.
func redactedCopy(c *analyzer.Comparison) (*analyzer.Comparison, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("report: copy comparison: %w", err)
	}
	var rc analyzer.Comparison
	if err := json.Unmarshal(data, &rc); err != nil {
		return nil, fmt.Errorf("report: copy comparison: %w", err)
	}
	redactValue(reflect.ValueOf(&rc).Elem())
	return &rc, nil
}

// redactValue applies Redact to every settable string reachable from v (struct fields, slice
// and array elements, pointers, map values). Map keys are left alone: they are enum values.
func redactValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(cleanRedact(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			redactValue(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				redactValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			redactValue(v.Index(i))
		}
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.String {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(cleanRedact(v.MapIndex(k).String())).Convert(v.Type().Elem()))
			}
		}
	}
}

func stepLogURL(buildURL, id string) string {
	return buildURL + "execution/node/" + url.PathEscape(id) + "/log/"
}
