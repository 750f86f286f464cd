package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LSN is a PostgreSQL WAL position (pg_lsn), comparable as a number.
type LSN uint64

// ParseLSN reads the text form of a pg_lsn ("16/B374D848").
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("parse lsn %q: no slash", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("parse lsn %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("parse lsn %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// String returns the pg_lsn text form.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// WriteMarks remembers, for a while, the WAL position a member's last write reached, so their
// next reads wait for it (read-your-writes). Shared by every instance when it lives in Redis
// (package readmarks), so a member's next request may land on any instance.
type WriteMarks interface {
	// Mark records that member's writes reach lsn (a lower lsn than the one held changes
	// nothing), for ttl.
	Mark(ctx context.Context, member uuid.UUID, lsn LSN, ttl time.Duration) error
	// Get returns member's mark; false when there is none (or it expired).
	Get(ctx context.Context, member uuid.UUID) (LSN, bool, error)
}

// ReplicaConfig routes read-only heavy queries to a streaming replica (see Store.UseReplica).
type ReplicaConfig struct {
	// Pool connects to the replica (DATABASE_REPLICA_URL).
	Pool *pgxpool.Pool
	// MaxLag: while the replica lacks WAL the primary had this long ago, every read goes to the
	// primary (default 5 s).
	MaxLag time.Duration
	// Poll is how often the replica's replay position and the primary's WAL position are read
	// (default 200 ms). A replica that stops answering is left within about one Poll.
	Poll time.Duration
	// Member returns the member a context acts for (the signed-in actor), whose writes are
	// marked and whose reads wait for them; nil or false: no read-your-writes for this context.
	Member func(context.Context) (uuid.UUID, bool)
	// Marks holds the members' write positions; nil keeps them in this process only.
	Marks WriteMarks
	// Log reports the replica going down or lagging, and coming back.
	Log *slog.Logger
}

// replica is the routing state of Store's replica.
type replica struct {
	cfg  ReplicaConfig
	stop context.CancelFunc
	done chan struct{}

	// state is the last poll's outcome, read without a lock on every Reader call.
	state atomic.Pointer[replicaState]

	// Reads served by each side (tests and the runbook's metrics read them).
	toReplica, toPrimary atomic.Uint64
}

type replicaState struct {
	healthy bool
	replay  LSN // the replica has replayed everything up to here
	lag     time.Duration
	at      time.Time // when this state was measured
}

// ReadStats counts the reads Reader and InReadOnlySnapshot sent to each side.
type ReadStats struct {
	Replica, Primary uint64
}

// UseReplica sends read-only heavy queries (those run through Reader and InReadOnlySnapshot) to
// cfg.Pool while it is healthy, in step and has what the reading member wrote. Writes, River and
// every other query stay on the primary. It starts a poller that Close stops.
func (s *Store) UseReplica(cfg ReplicaConfig) {
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = 5 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.Marks == nil {
		cfg.Marks = NewMemoryMarks()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &replica{cfg: cfg, stop: stop, done: make(chan struct{})}
	r.state.Store(&replicaState{})
	s.replica = r
	go r.run(ctx, s.pool)
}

// Close stops the replica poller (the pools belong to the caller).
func (s *Store) Close() {
	if s.replica != nil {
		s.replica.stop()
		<-s.replica.done
	}
}

// ReadStats returns how many reads went to the replica and to the primary.
func (s *Store) ReadStats() ReadStats {
	if s.replica == nil {
		return ReadStats{}
	}
	return ReadStats{Replica: s.replica.toReplica.Load(), Primary: s.replica.toPrimary.Load()}
}

// Reader returns queries for a read-only heavy read (search, matches, KPIs): on the replica when
// one is configured, answering, at most MaxLag behind, and — when ctx acts for a member — past
// the member's last write; on the primary otherwise. Writing through it fails on a replica
// (read-only transaction), so it must never be used to write.
func (s *Store) Reader(ctx context.Context) *Queries {
	if s.useReplica(ctx, 0) {
		return &Queries{db: s.replica.cfg.Pool}
	}
	return s.Q()
}

// useReplica decides where one read goes; atLeast > 0 also requires the replica to have
// replayed that position.
func (s *Store) useReplica(ctx context.Context, atLeast LSN) bool {
	r := s.replica
	if r == nil {
		return false
	}
	st := r.state.Load()
	ok := st.healthy && st.lag <= r.cfg.MaxLag && time.Since(st.at) <= 5*r.cfg.Poll+time.Second && st.replay >= atLeast
	if ok && r.cfg.Member != nil {
		if member, signedIn := r.cfg.Member(ctx); signedIn {
			mark, found, err := r.cfg.Marks.Get(ctx, member)
			if err != nil || (found && mark > st.replay) {
				ok = false // unknown or not replayed yet: the primary has it
			}
		}
	}
	if ok {
		r.toReplica.Add(1)
	} else {
		r.toPrimary.Add(1)
	}
	return ok
}

// markWrite records the WAL position reached after a write transaction of the member ctx acts
// for. The insert position is past the transaction's commit record even when that record is not
// flushed yet (synchronous_commit = off), so waiting for it is never too early.
func (s *Store) markWrite(ctx context.Context) {
	r := s.replica
	if r == nil || r.cfg.Member == nil {
		return
	}
	member, ok := r.cfg.Member(ctx)
	if !ok {
		return
	}
	// The write is committed: recording it must not depend on the client still waiting.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	lsn, err := currentLSN(ctx, s.pool)
	if err == nil {
		// Kept long enough for any replica within MaxLag to pass it; a replica further behind
		// is not read at all.
		err = r.cfg.Marks.Mark(ctx, member, lsn, 10*r.cfg.MaxLag+time.Minute)
	}
	if err != nil {
		// The write is committed; its author may read a stale replica for up to MaxLag.
		r.cfg.Log.WarnContext(ctx, "replica: could not record a member's write position", "err", err)
	}
}

func currentLSN(ctx context.Context, db dbtx) (LSN, error) {
	var s string
	if err := db.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("read primary wal position: %w", err)
	}
	return ParseLSN(s)
}

// run polls both sides every Poll until stopped. Lag is measured in time without clocks on the
// replica: the primary's WAL position is sampled at each poll, and the replica is as fresh as the
// newest sample it has replayed (a primary without writes leaves the replica fully in step).
func (r *replica) run(ctx context.Context, primary *pgxpool.Pool) {
	defer close(r.done)
	type sample struct {
		at  time.Time
		lsn LSN
	}
	var samples []sample // primary positions the replica had not replayed yet, oldest first
	wasHealthy := true
	tick := time.NewTicker(r.cfg.Poll)
	defer tick.Stop()
	for {
		now := time.Now()
		pctx, cancel := context.WithTimeout(ctx, max(r.cfg.Poll, time.Second))
		plsn, perr := currentLSN(pctx, primary)
		replay, rerr := replayLSN(pctx, r.cfg.Pool)
		cancel()
		st := &replicaState{at: now}
		if perr == nil && (len(samples) == 0 || samples[len(samples)-1].lsn < plsn) {
			samples = append(samples, sample{now, plsn})
		}
		if rerr == nil {
			st.healthy, st.replay = true, replay
			for len(samples) > 0 && samples[0].lsn <= replay {
				samples = samples[1:]
			}
			if len(samples) > 0 {
				st.lag = now.Sub(samples[0].at)
			}
			if len(samples) > 1000 { // a replica far behind: keep the oldest, which sets the lag
				samples = append(samples[:1], samples[len(samples)-999:]...)
			}
		}
		r.state.Store(st)
		if ok := st.healthy && st.lag <= r.cfg.MaxLag; ok != wasHealthy {
			if ok {
				r.cfg.Log.Info("replica: back in use", "replay_lsn", replay.String())
			} else {
				r.cfg.Log.Warn("replica: not used, reads go to the primary", "err", rerr, "lag", st.lag)
			}
			wasHealthy = ok
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// replayLSN reads how far a standby has replayed; an error when it is unreachable or is not a
// standby (promoted: its data may have diverged from the primary's, so it is not read).
func replayLSN(ctx context.Context, pool *pgxpool.Pool) (LSN, error) {
	var s *string
	if err := pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("read replica replay position: %w", err)
	}
	if s == nil {
		return 0, errors.New("the replica is not a standby (not in recovery)")
	}
	return ParseLSN(*s)
}

// inSnapshotPool chooses the pool of InReadOnlySnapshot: the replica once it has replayed
// everything the primary had when it was called (waiting up to wait for it) and the reading
// member's writes, the primary otherwise. Jobs act for no member but must see what was committed
// before they were queued: the primary's current position covers that.
func (s *Store) inSnapshotPool(ctx context.Context, wait time.Duration) *pgxpool.Pool {
	if s.replica == nil {
		return s.pool
	}
	target, err := currentLSN(ctx, s.pool)
	if err != nil {
		return s.pool
	}
	deadline := time.Now().Add(wait)
	for {
		st := s.replica.state.Load()
		if st.replay >= target || !st.healthy || time.Now().After(deadline) {
			break
		}
		t := time.NewTimer(s.replica.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return s.pool
		case <-t.C:
		}
	}
	if s.useReplica(ctx, target) {
		return s.replica.cfg.Pool
	}
	return s.pool
}

// MemoryMarks is WriteMarks in this process: right for one instance, or for several when a
// member's requests stick to one instance.
type MemoryMarks struct {
	mu    sync.Mutex
	marks map[uuid.UUID]memoryMark
	n     int // marks since the last sweep
}

type memoryMark struct {
	lsn     LSN
	expires time.Time
}

// NewMemoryMarks returns empty in-process marks.
func NewMemoryMarks() *MemoryMarks { return &MemoryMarks{marks: map[uuid.UUID]memoryMark{}} }

// Mark implements WriteMarks.
func (m *MemoryMarks) Mark(_ context.Context, member uuid.UUID, lsn LSN, ttl time.Duration) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.marks[member]; !ok || old.lsn < lsn || now.After(old.expires) {
		m.marks[member] = memoryMark{lsn: lsn, expires: now.Add(ttl)}
	}
	if m.n++; m.n >= 1024 { // sweep expired marks now and then: memory stays bounded by writers
		m.n = 0
		for k, v := range m.marks {
			if now.After(v.expires) {
				delete(m.marks, k)
			}
		}
	}
	return nil
}

// Get implements WriteMarks.
func (m *MemoryMarks) Get(_ context.Context, member uuid.UUID) (LSN, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.marks[member]
	if !ok || time.Now().After(v.expires) {
		return 0, false, nil
	}
	return v.lsn, true, nil
}

// replicaTx begins the read-only snapshot of InReadOnlySnapshot on pool.
func replicaTx(ctx context.Context, pool *pgxpool.Pool, jobs JobInserter, fn func(q *Queries) error) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return fn(&Queries{db: tx, tx: tx, jobs: jobs}) })
}
