package store

import (
	"context"
	"encoding/json"

	"github.com/cidiff/cidiff/analyzer"
)

// The store is the analyzer's memory: it answers the analyzer's History questions and keeps
// the comparisons it makes.
var _ analyzer.History = History{}

// History serves a step's recorded runs to the analyzer as flakiness evidence.
type History struct{ DB *DB }

// StepRuns implements analyzer.History: the step's runs on one instance, newest first.
func (h History) StepRuns(instance, job, stage, label string, limit int) ([]analyzer.StepRun, error) {
	runs, err := h.DB.StepRuns(instance, job, stage, label, limit)
	if err != nil {
		return nil, err
	}
	out := make([]analyzer.StepRun, 0, len(runs))
	for _, r := range runs {
		ar := analyzer.StepRun{Instance: instance, Job: r.Job, Revision: r.Revision, Status: r.Status, Started: r.Start}
		if r.Number != nil {
			ar.Number = *r.Number
		}
		if r.Node != nil {
			ar.Node = *r.Node
		}
		out = append(out, ar)
	}
	return out, nil
}

// RecordAnalysis stores a comparison made by the analyzer, with the waivers it applied and its
// JSON report, in one transaction; it returns the comparison's id.
func (db *DB) RecordAnalysis(ctx context.Context, c *analyzer.Comparison, waivers []analyzer.Waiver) (int64, error) {
	report, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	rec := Comparison{
		ProdInstance: c.ProdName, StagingInstance: c.StagingName,
		Verdict: string(c.Verdict), Report: string(report),
	}
	for _, w := range waivers {
		rec.Waivers = append(rec.Waivers, Waiver{Job: w.Job, Stage: w.Stage, Label: w.Label, Class: string(w.Class), Reason: w.Reason})
	}
	for _, p := range c.Pairs {
		for _, d := range p.Differences {
			rd := Difference{
				PairKey: p.Key, Job: p.Job, ProdNumber: p.Prod.Number, StagingNumber: p.Staging.Number,
				Stage: d.Stage, Label: d.Label,
				ProdStatus: string(d.ProdStatus), StagingStatus: string(d.StagingStatus),
				Class: string(d.Class), Cause: d.Cause, Blocking: d.Blocking, Waived: d.Waived, Reason: d.Reason,
				FailureMessage: failureMessage(d),
			}
			if d.ConsequenceOf != nil {
				rd.ConsequenceOf = &StepRef{Stage: d.ConsequenceOf.Stage, Label: d.ConsequenceOf.Label}
			}
			rec.Differences = append(rec.Differences, rd)
		}
	}
	return db.RecordComparison(ctx, rec)
}

// failureMessage is the error of the side whose step did worse, for failure grouping.
func failureMessage(d analyzer.Difference) string {
	for _, s := range []*analyzer.StepDetail{d.Staging, d.Prod} {
		if s != nil && s.Error != "" {
			return s.Error
		}
	}
	return ""
}
