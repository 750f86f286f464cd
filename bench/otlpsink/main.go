// Command otlpsink is the local OTLP/HTTP receiver of the tracing benchmark (bench/tracing.sh):
// it accepts trace export requests on /v1/traces, decodes them (protobuf, as a collector does)
// and counts requests and spans; GET /count prints "requests spans".
//
//	go run ./bench/otlpsink -addr 127.0.0.1:14318
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:14318", "listen address")
	flag.Parse()
	var requests, spans atomic.Int64
	empty, err := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := 0
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				n += len(ss.Spans)
			}
		}
		requests.Add(1)
		spans.Add(int64(n))
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(empty)
	})
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%d %d\n", requests.Load(), spans.Load())
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
