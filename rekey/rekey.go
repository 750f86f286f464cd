// Package rekey rotates the keys of encrypted columns: it re-encrypts, under the keyring's
// primary key, every value of store.SealedColumns sealed with another key (or in the format
// before keyrings). It runs as a daily River job (and at start) and as `skillswap rekey`.
//
// Rotating a key: add the new key to DATA_ENCRYPTION_KEYS and make it DATA_ENCRYPTION_PRIMARY
// (new values are sealed with it at once), deploy, let the job run or run `skillswap rekey`
// until it reports nothing left, then remove the old key.
//
// It is idempotent and resumable: progress is the data itself (a value under the primary is
// never selected again), each batch commits on its own, and rows another instance is rotating
// are skipped (SKIP LOCKED), so an interrupted run loses at most one batch of work and two runs
// at once share the work.
package rekey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/store"
)

// DefaultBatch is how many rows one transaction re-encrypts.
const DefaultBatch = 500

// maxReported is how many failed rows per column the error of a run names.
const maxReported = 5

// Result is what a run did to one column.
type Result struct {
	Column   string
	Resealed int
	// Failed counts values that could not be opened (unknown key id, tampered): they stay as
	// they are and the run returns an error naming the first few.
	Failed int
}

// Rotator re-encrypts sealed columns.
type Rotator struct {
	store   *store.Store
	keys    *sealbox.Keyring
	columns []store.SealedColumn
	batch   int
	log     *slog.Logger
}

// New returns a rotator of every column in store.SealedColumns; batch 0 means DefaultBatch.
func New(st *store.Store, keys *sealbox.Keyring, batch int, log *slog.Logger) *Rotator {
	if batch <= 0 {
		batch = DefaultBatch
	}
	return &Rotator{store: st, keys: keys, columns: store.SealedColumns, batch: batch, log: log}
}

// Binding is the sealbox binding of a row of col: the same one its owner (auth for TOTP
// secrets) seals with.
func Binding(col store.SealedColumn, key uuid.UUID) sealbox.Binding {
	return sealbox.Binding{Table: col.Table, Column: col.Column, Row: key[:], LegacyV1: col.LegacyV1}
}

// Run re-encrypts every stale value of every column, batch by batch.
func (r *Rotator) Run(ctx context.Context) ([]Result, error) {
	header := sealbox.Header(r.keys.Primary())
	var out []Result
	var errs []error
	for _, col := range r.columns {
		res := Result{Column: col.String()}
		var rowErrs []error // the first few, named in the error
		after := uuid.Nil
		for {
			n := 0
			err := r.store.InTx(ctx, func(q *store.Queries) error {
				vals, err := q.StaleSealedValues(ctx, col, header, after, r.batch)
				if err != nil {
					return err
				}
				n = len(vals)
				for _, v := range vals {
					after = v.Key
					next, changed, err := r.keys.Reseal(Binding(col, v.Key), v.Value)
					if err != nil {
						res.Failed++
						if len(rowErrs) < maxReported {
							rowErrs = append(rowErrs, fmt.Errorf("row %s: %w", v.Key, err))
						}
						continue
					}
					if !changed {
						continue
					}
					ok, err := q.ReplaceSealedValue(ctx, col, v.Key, v.Value, next)
					if err != nil {
						return err
					}
					if ok {
						res.Resealed++
					}
				}
				return nil
			})
			if err != nil {
				return out, fmt.Errorf("rekey %s: %w", col, err)
			}
			if n < r.batch {
				break
			}
		}
		if res.Failed > 0 {
			errs = append(errs, fmt.Errorf("rekey: %d value(s) of %s could not be re-encrypted (the first %d below): %w",
				res.Failed, col, len(rowErrs), errors.Join(rowErrs...)))
		}
		r.log.Info("rekey", "column", res.Column, "primary", r.keys.Primary(), "resealed", res.Resealed, "failed", res.Failed)
		out = append(out, res)
	}
	return out, errors.Join(errs...)
}

// Args asks for a rotation run.
type Args struct{}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "sealbox_rekey" }

// Worker runs a rotation.
type Worker struct {
	river.WorkerDefaults[Args]
	Rotator *Rotator
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	_, err := w.Rotator.Run(ctx)
	return err
}

// Timeout: a large table takes a while; each batch commits, so a timeout loses one batch.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return 30 * time.Minute }

// Jobs registers the rotation: at start (so a new primary key takes over soon after a deploy)
// and daily. With nothing to rotate, a run is one scan of each (small) encrypted table.
func Jobs(r *Rotator) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &Worker{Rotator: r})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
	}
}
