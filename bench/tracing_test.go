package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/tracing"
)

// BenchmarkViewerTracing is the in-process side of bench/tracing.sh: the server's handler
// (ServeHTTP, no network, no load generator) answering `{ viewer { id displayName } }` with a
// valid token, with tracing off and with tracing on (parentbased_traceidratio 0.1, exporting
// over OTLP/HTTP to a receiver in the same process). Both
// servers run side by side on one database, measured in alternation (benchRounds rounds).
// ns/op is wall time per request with GOMAXPROCS requests in flight (b.RunParallel), so the
// batch exporter's CPU is inside it; cpu-ns/op is the process's CPU time
// (user+system) per request.
//
// Run it with: go test -run '^$' -bench ViewerTracing -benchtime 20000x ./bench/
func BenchmarkViewerTracing(b *testing.B) {
	// The receiver reads each export request and answers as a collector does, without decoding
	// it: decoding is the collector's CPU, not the server's (bench/tracing.sh runs a decoding
	// receiver in a process of its own and reports its CPU apart).
	out, err := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	if err != nil {
		b.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	defer sink.Close()
	on, err := tracing.Setup(context.Background(), tracing.Config{
		Endpoint: sink.URL, Sampler: "parentbased_traceidratio", SamplerArg: "0.1", ServiceName: "skillswap-bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = on.Shutdown(ctx)
	}()
	cfg := apitest.Config(b)
	cfg.RunWorkers = false
	servers := []struct {
		name string
		srv  *apitest.Server
	}{
		{"off", apitest.Start(b, cfg, app.Options{})},
		{"on-10pct", apitest.Start(b, cfg, app.Options{Tracing: on})},
	}
	tokens := make([]string, len(servers))
	for i, s := range servers {
		tok, _ := s.srv.SignUp(b)
		tokens[i] = tok.AccessToken
	}
	// Rounds alternate the two servers (-count would run all of one before the other, and the
	// shared machine's load drifts in between).
	for round := range benchRounds {
		for i := range servers {
			s := servers[(i+round)%len(servers)]
			token := tokens[(i+round)%len(servers)]
			handler := s.srv.App.HTTP
			b.Run(s.name, func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := processCPU(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { id displayName } }"}`))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+token)
						rec := httptest.NewRecorder()
						handler.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"displayName"`) {
							b.Fatalf("viewer: %d %s", rec.Code, rec.Body.String())
						}
					}
				})
				// CPU time of the whole process per request: less sensitive than wall time to
				// the other processes of a shared machine.
				b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchRounds is how many times each server is measured.
const benchRounds = 6

// processCPU is the user+system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
