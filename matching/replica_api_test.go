package matching_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
)

// TestReadReplicaAPI runs two instances with the stack's streaming replica
// (DATABASE_REPLICA_URL) and Redis: matches and searches are read from the replica while it is
// in step; a member's write is seen by their very next read on either instance even while the
// replica has not replayed it (replay paused: the read goes to the primary); a replica that does
// not answer leaves every read on the primary.
func TestReadReplicaAPI(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t) // the members' write positions are shared through it
	cfg.DatabaseReplicaURL = testdb.Replica(t, cfg.DatabaseURL)
	// Generous: a loaded CI machine replays late; the test pauses replay on purpose below.
	cfg.DatabaseReplicaMaxLag = time.Minute
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)

	w := apiWorld{t: t, srv: a}
	guitar, spanish, chess := w.skill("guitar"), w.skill("spanish"), w.skill("chess")
	weekday := []map[string]any{{"weekday": 2, "start": "18:00", "end": "21:00"}}
	fr := map[string]any{"languages": []string{"fr"}, "availability": weekday}
	vera, viewer := w.member("Vera", map[string]any{"languages": []string{"fr"}, "availability": weekday},
		map[string]string{guitar: "EXPERT"}, map[string]string{spanish: "INTERMEDIATE"})
	w.member("Mutual Mia", fr, map[string]string{spanish: "ADVANCED"}, map[string]string{guitar: "BEGINNER"})
	w.member("Chess Chloe", fr, map[string]string{chess: "EXPERT"}, nil)
	viewerB := b.Client().WithToken(vera.AccessToken)

	matches := func(c *apitest.Client) []string {
		t.Helper()
		var got matchesResult
		c.Do(t, matchesQuery, nil).Decode(t, &got)
		return got.names()
	}
	// served runs read and reports which side of srv's store served it.
	served := func(srv *apitest.Server, read func()) (replica, primary uint64) {
		before := srv.App.Store.ReadStats()
		read()
		after := srv.App.Store.ReadStats()
		return after.Replica - before.Replica, after.Primary - before.Primary
	}

	// In step, reads go to the replica, and find there what the setup wrote on the primary.
	waitFor(t, "a matches query served by the replica", func() bool {
		var names []string
		r, _ := served(a, func() { names = matches(viewer) })
		return r > 0 && len(names) == 1 && names[0] == "Mutual Mia"
	})
	waitFor(t, "a search served by the replica", func() bool {
		r, _ := served(b, func() {
			apitest.Must(t, b.Client().Do(t, `query { searchSkills(text: "guitar") { totalCount } }`, nil))
		})
		return r > 0
	})
	// The replica pool's sessions are on the standby (in recovery), under their own name.
	var onStandby int
	queryReplica(t, cfg.DatabaseReplicaURL, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'skillswap-replica' AND datname = current_database() AND pg_is_in_recovery()`, &onStandby)
	if onStandby == 0 {
		t.Fatal("no session of the replica pool on the standby")
	}

	// Read-your-writes: replay paused, Vera starts wanting chess; her next read, on either
	// instance (the position is in Redis), goes to the primary and finds Chloe.
	execReplica(t, cfg.DatabaseReplicaURL, `SELECT pg_wal_replay_pause()`)
	t.Cleanup(func() { execReplica(t, cfg.DatabaseReplicaURL, `SELECT pg_wal_replay_resume()`) })
	apitest.Must(t, viewer.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"skillId": chess, "kind": "WANT", "level": "BEGINNER"}}))
	for i, c := range []*apitest.Client{viewer, viewerB} {
		srv := []*apitest.Server{a, b}[i]
		var names []string
		r, p := served(srv, func() { names = matches(c) })
		if !slices.Contains(names, "Chess Chloe") || r != 0 || p == 0 {
			t.Fatalf("instance %d right after the write: matches %v (replica reads %d, primary %d), want Chess Chloe from the primary", i, names, r, p)
		}
	}
	// Once the replica has replayed the write, her reads go back to it, and still find Chloe.
	execReplica(t, cfg.DatabaseReplicaURL, `SELECT pg_wal_replay_resume()`)
	waitFor(t, "Vera's matches served by the replica again", func() bool {
		var names []string
		r, _ := served(b, func() { names = matches(viewerB) })
		if r > 0 && !slices.Contains(names, "Chess Chloe") {
			t.Fatalf("the replica served matches %v without Vera's write", names)
		}
		return r > 0
	})

	// A data export (a job, acting for no member) is read from the replica once it has replayed
	// what the primary had when the export started.
	_, veraID, ok := relay.ParseGlobalID(vera.User.ID)
	if !ok {
		t.Fatalf("user id %q", vera.User.ID)
	}
	var archive bytes.Buffer
	r, p := served(a, func() {
		if err := a.App.Exports.WriteArchive(context.Background(), &archive, veraID); err != nil {
			t.Fatal(err)
		}
	})
	if r != 1 || p != 0 || archive.Len() == 0 {
		t.Fatalf("export: replica reads %d, primary %d, %d bytes", r, p, archive.Len())
	}

	// A replica that does not answer (nothing listens on its port): every read on the primary.
	cfgDown := a.Config
	cfgDown.MigrateOnStart = false
	cfgDown.DatabaseReplicaURL = "postgres://skillswap@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	down := apitest.Start(t, cfgDown)
	viewerDown := down.Client().WithToken(vera.AccessToken)
	for range 3 {
		var names []string
		r, p := served(down, func() { names = matches(viewerDown) })
		if r != 0 || p == 0 || !slices.Contains(names, "Chess Chloe") {
			t.Fatalf("replica down: matches %v (replica reads %d, primary %d)", names, r, p)
		}
	}
	if s := down.App.Store.ReadStats(); s.Replica != 0 {
		t.Fatalf("replica down: %+v", s)
	}
}

// waitFor polls cond for up to two minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 2 minutes", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func queryReplica(t *testing.T, url, sql string, dest any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.QueryRow(ctx, sql).Scan(dest); err != nil {
		t.Fatal(err)
	}
}

func execReplica(t *testing.T, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}
