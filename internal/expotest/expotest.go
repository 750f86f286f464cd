// Package expotest is a local HTTP server implementing Expo's documented push endpoints, for
// tests and benchmarks: Expo itself cannot run here. It follows the contract package push
// documents (docs.expo.dev, "Send notifications with the Expo Push Service"): send takes at most
// 100 messages and answers one ticket per message in order; getReceipts takes at most 1,000 ids
// and answers the receipts that are ready; refused requests answer {"errors": [...]} with a 4xx
// or 5xx status; an unregistered token gets a DeviceNotRegistered ticket (or receipt); a payload
// over 4 KiB a MessageTooBig ticket; more than the project's rate a 429.
//
// Tests script failures (Fail), mark tokens unregistered (Unregister, UnregisterLater) and read
// what arrived (Requests, Messages, MaxInAnySecond).
package expotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/push"
)

// Request is one send request as it arrived.
type Request struct {
	At       time.Time
	Body     []byte
	Messages []push.Message
	// Status is what the server answered.
	Status int
}

// Server is a running Expo-compatible push server.
type Server struct {
	*httptest.Server
	// AccessToken, when set, is required as a bearer token (401 otherwise).
	AccessToken string
	// RatePerSecond, when set, refuses with 429 a send that would put more than this many
	// messages in the last second.
	RatePerSecond int
	// Delay, when set, is how long each send request is held after its arrival is stamped and
	// before it is answered (a slow or distant Expo, for tests of pacing under latency).
	Delay func() time.Duration

	mu           sync.Mutex
	fail         []int // statuses to answer the next send requests with
	unregistered map[string]bool
	later        map[string]bool // tokens whose receipts say DeviceNotRegistered
	requests     []Request
	accepted     []time.Time // arrival of each accepted message
	receipts     map[string]push.Receipt
	receiptCalls [][]string
	next         int
}

// New starts a server, closed when t ends.
func New(t testing.TB) *Server {
	s := &Server{unregistered: map[string]bool{}, later: map[string]bool{}, receipts: map[string]push.Receipt{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+push.SendPath, s.send)
	mux.HandleFunc("POST "+push.ReceiptsPath, s.getReceipts)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Fail makes the next send requests answer these statuses (429, 500, 503...) with an error body.
func (s *Server) Fail(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, statuses...)
}

// Unregister makes tickets for token say DeviceNotRegistered.
func (s *Server) Unregister(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unregistered[token] = true
}

// UnregisterLater accepts messages to token but makes their receipts say DeviceNotRegistered.
func (s *Server) UnregisterLater(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.later[token] = true
}

// Requests returns the send requests received so far (refused ones included).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Messages returns the messages accepted (tickets "ok" or "error" alike) in order of arrival.
func (s *Server) Messages() []push.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []push.Message
	for _, r := range s.requests {
		if r.Status == http.StatusOK {
			out = append(out, r.Messages...)
		}
	}
	return out
}

// ReceiptRequests returns the id lists of the getReceipts requests received.
func (s *Server) ReceiptRequests() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.receiptCalls...)
}

// MaxInAnySecond is the most messages accepted within any window of one second (both ends
// included), measured on arrival at the server.
func (s *Server) MaxInAnySecond() int {
	s.mu.Lock()
	at := append([]time.Time(nil), s.accepted...)
	s.mu.Unlock()
	return maxInAnySecond(at)
}

// MaxArrivedInAnySecond is MaxInAnySecond counting every message that arrived in a send
// request, refused (429) or not: what a sender put on the wire.
func (s *Server) MaxArrivedInAnySecond() int {
	s.mu.Lock()
	var at []time.Time
	for _, r := range s.requests {
		for range r.Messages {
			at = append(at, r.At)
		}
	}
	s.mu.Unlock()
	return maxInAnySecond(at)
}

func maxInAnySecond(at []time.Time) int {
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	best, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) > time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []push.APIError{{Code: code, Message: msg}}})
}

func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	if s.AccessToken != "" && r.Header.Get("Authorization") != "Bearer "+s.AccessToken {
		writeErrors(w, http.StatusUnauthorized, "UNAUTHORIZED", "the bearer token is invalid")
		return false
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeErrors(w, http.StatusBadRequest, "VALIDATION_ERROR", "expected a JSON body")
		return false
	}
	return true
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	req := Request{At: now, Body: body}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}()
	if !s.authorised(w, r) {
		req.Status = http.StatusUnauthorized
		return
	}
	// Expo takes one message or an array of them.
	var msgs []push.Message
	if err := json.Unmarshal(body, &msgs); err != nil {
		var one push.Message
		if err := json.Unmarshal(body, &one); err != nil {
			req.Status = http.StatusBadRequest
			writeErrors(w, req.Status, "VALIDATION_ERROR", "the body is not a push message or an array of them")
			return
		}
		msgs = []push.Message{one}
	}
	req.Messages = msgs
	if len(msgs) > push.MaxMessages {
		req.Status = http.StatusBadRequest
		writeErrors(w, req.Status, "PUSH_TOO_MANY_NOTIFICATIONS", fmt.Sprintf("at most %d notifications per request", push.MaxMessages))
		return
	}
	s.mu.Lock()
	if len(s.fail) > 0 {
		req.Status = s.fail[0]
		s.fail = s.fail[1:]
		s.mu.Unlock()
		code := "INTERNAL_SERVER_ERROR"
		if req.Status == http.StatusTooManyRequests {
			code = "TOO_MANY_REQUESTS"
		}
		writeErrors(w, req.Status, code, "scripted failure")
		return
	}
	if s.RatePerSecond > 0 {
		// The window MaxInAnySecond measures: one second, both ends included. Arrivals are
		// appended roughly in order (each request stamps itself before taking the lock), so
		// the scan goes back a little further than a second.
		recent := 0
		for i := len(s.accepted) - 1; i >= 0 && now.Sub(s.accepted[i]) <= 2*time.Second; i-- {
			if d := now.Sub(s.accepted[i]); d <= time.Second && d >= -time.Second {
				recent++
			}
		}
		if recent+len(msgs) > s.RatePerSecond {
			s.mu.Unlock()
			req.Status = http.StatusTooManyRequests
			writeErrors(w, req.Status, "TOO_MANY_REQUESTS", "the project sent more than its rate of notifications per second")
			return
		}
	}
	tickets := make([]push.Ticket, len(msgs))
	for i, m := range msgs {
		s.accepted = append(s.accepted, now)
		switch {
		case !push.ValidToken(m.To) || s.unregistered[m.To]:
			tickets[i] = push.Ticket{Status: "error", Message: fmt.Sprintf("%q is not a registered push notification recipient", m.To),
				Details: &push.Details{Error: push.DeviceNotRegistered}}
		case push.PayloadSize(m) > push.MaxPayloadBytes:
			tickets[i] = push.Ticket{Status: "error", Message: "the notification payload is over 4096 bytes",
				Details: &push.Details{Error: push.MessageTooBig}}
		default:
			s.next++
			id := fmt.Sprintf("XXXXXXXX-%04d-4000-8000-%012d", s.next%10000, s.next)
			tickets[i] = push.Ticket{Status: "ok", ID: id}
			if s.later[m.To] {
				s.receipts[id] = push.Receipt{Status: "error", Message: "the device is not registered",
					Details: &push.Details{Error: push.DeviceNotRegistered}}
			} else {
				s.receipts[id] = push.Receipt{Status: "ok"}
			}
		}
	}
	delay := s.Delay
	s.mu.Unlock()
	if delay != nil {
		time.Sleep(delay())
	}
	req.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": tickets})
}

func (s *Server) getReceipts(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	var in struct {
		IDs []string `json:"ids"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, "VALIDATION_ERROR", "expected {\"ids\": [...]}")
		return
	}
	if len(in.IDs) > push.MaxReceiptIDs {
		writeErrors(w, http.StatusBadRequest, "PUSH_TOO_MANY_RECEIPTS", fmt.Sprintf("at most %d receipt ids per request", push.MaxReceiptIDs))
		return
	}
	s.mu.Lock()
	s.receiptCalls = append(s.receiptCalls, in.IDs)
	out := map[string]push.Receipt{}
	for _, id := range in.IDs {
		if rc, ok := s.receipts[id]; ok {
			out[id] = rc
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
}
