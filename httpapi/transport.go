package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Media types of the GraphQL-over-HTTP specification.
const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
)

// overHTTP is a graphql.Transport for POST and GET that follows the GraphQL-over-HTTP
// specification, including its SHOULDs: Accept negotiation between application/json and
// application/graphql-response+json (406 when neither is acceptable), 400 for parse and
// validation errors under application/graphql-response+json, no `data` key on request errors,
// 405 for mutations over GET, 413 for oversized bodies and 415 for other content types. gqlgen's
// own POST transport echoes the request body in error messages and always writes `data`.
type overHTTP struct {
	maxBodyBytes int64
}

var _ graphql.Transport = overHTTP{}

func (overHTTP) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	if r.Method == http.MethodGet {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	// Multipart uploads and SSE have their own transports; everything else POSTed is ours, so an
	// unsupported content type gets a clear 415 instead of a generic "transport not supported".
	return mt != "multipart/form-data" && !acceptsEventStream(r)
}

func acceptsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// rawRequest is a GraphQL-over-HTTP request body.
type rawRequest struct {
	Query         *string        `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// response is graphql.Response with `data` omitted when absent (request errors), as the
// specification requires; execution results keep `"data": null` when it is null.
type response struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

func (t overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	mediaType, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		w.Header().Set("Content-Type", mediaJSON)
		writeRequestError(w, http.StatusNotAcceptable, "Accept must allow application/graphql-response+json or application/json", CodeBadRequest)
		return
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.Header().Add("Vary", "Accept")
	strict := mediaType == mediaGraphQLResponse

	start := graphql.Now()
	var req rawRequest
	switch r.Method {
	case http.MethodPost:
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != mediaJSON || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
			writeRequestError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json", CodeBadRequest)
			return
		}
		body, err := readBody(w, r, t.maxBodyBytes)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeRequestError(w, http.StatusRequestEntityTooLarge, "request body exceeds "+strconv.FormatInt(t.maxBodyBytes, 10)+" bytes", CodeBadRequest)
				return
			}
			writeRequestError(w, http.StatusBadRequest, "could not read the request body", CodeBadRequest)
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil || dec.More() {
			writeRequestError(w, http.StatusBadRequest, "the request body must be a JSON object with a `query` string", CodeBadRequest)
			return
		}
	case http.MethodGet:
		if err := decodeQueryParams(r.URL.Query(), &req); err != nil {
			writeRequestError(w, http.StatusBadRequest, err.Error(), CodeBadRequest)
			return
		}
	}
	if req.Query == nil && req.Extensions["persistedQuery"] == nil {
		writeRequestError(w, http.StatusBadRequest, "the `query` parameter is required", CodeBadRequest)
		return
	}
	params := &graphql.RawParams{
		OperationName: req.OperationName,
		Variables:     req.Variables,
		Extensions:    req.Extensions,
		Headers:       r.Header,
		ReadTime:      graphql.TraceTiming{Start: start, End: graphql.Now()},
	}
	if req.Query != nil {
		params.Query = *req.Query
	}

	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if strict {
			status = http.StatusBadRequest
		}
		if retry, limited := retryable(opErr, CodeRateLimited); limited {
			// A spent complexity budget: the request was fine, the client must wait.
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(retry))
		} else if retry, busy := retryable(opErr, CodeUnavailable); busy {
			// The lane of expensive work is full: nothing ran, the same request will work later.
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(retry))
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr)
		writeResponse(w, status, &response{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	switch rc.Operation.Operation {
	case ast.Mutation:
		if r.Method == http.MethodGet {
			w.Header().Set("Allow", http.MethodPost)
			writeRequestError(w, http.StatusMethodNotAllowed, "mutations are only accepted over POST", CodeBadRequest)
			return
		}
	case ast.Subscription:
		writeRequestError(w, http.StatusBadRequest, "subscriptions need a WebSocket (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)", CodeBadRequest)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	if resp == nil {
		// gqlgen's executor answers nothing once the context is done. A client that went away
		// reads no answer; one whose deadline passed is told so.
		if errors.Is(ctx.Err(), context.Canceled) {
			return
		}
		resp = stoppedResponse(ctx)
	}
	data := resp.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	writeResponse(w, http.StatusOK, &response{Errors: resp.Errors, Data: data, Extensions: resp.Extensions})
}

// readBody reads at most limit bytes of r's body into a buffer sized by Content-Length when
// given (io.ReadAll doubles its way up: twice the garbage for a large body).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(r.ContentLength, limit)+1))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// retryable reports whether a request error has code and a retryAfterSeconds, and returns it.
func retryable(errs gqlerror.List, code string) (int, bool) {
	for _, e := range errs {
		if _, ok := e.Extensions["retryAfterSeconds"]; ok && e.Extensions["code"] == code {
			retry, _ := e.Extensions["retryAfterSeconds"].(int)
			return max(retry, 1), true
		}
	}
	return 0, false
}

func decodeQueryParams(q url.Values, req *rawRequest) error {
	if q.Has("query") {
		s := q.Get("query")
		req.Query = &s
	}
	req.OperationName = q.Get("operationName")
	for name, dst := range map[string]*map[string]any{"variables": &req.Variables, "extensions": &req.Extensions} {
		raw := q.Get(name)
		if raw == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			return errors.New("the `" + name + "` parameter must be a JSON object")
		}
	}
	return nil
}

// negotiate picks the response media type from Accept, honouring q-values. No Accept header
// means application/json, as the specification says for legacy clients.
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	best, bestQ := "", -1.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			if v, err := strconv.ParseFloat(qs, 64); err == nil {
				q = v
			}
		}
		if q <= 0 {
			continue
		}
		var candidate string
		switch mt {
		case mediaGraphQLResponse:
			candidate = mediaGraphQLResponse
		case mediaJSON:
			candidate = mediaJSON
		case "*/*", "application/*":
			candidate = mediaJSON
		default:
			continue
		}
		// On equal q, prefer application/graphql-response+json.
		if q > bestQ || (q == bestQ && candidate == mediaGraphQLResponse) {
			best, bestQ = candidate, q
		}
	}
	return best, best != ""
}

func writeRequestError(w http.ResponseWriter, status int, msg, code string) {
	writeResponse(w, status, &response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}})
}

func writeResponse(w http.ResponseWriter, status int, resp *response) {
	b, err := encodeResponse(resp)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// encodeResponse is json.Marshal(resp) (same keys, same order) without encoding data again:
// gqlgen's data is already compact JSON, and json.Marshal would scan it to validate and compact
// it and copy it once more (about 5 % of a nested page's CPU, issue 18). Unlike json.Marshal it
// leaves <, > and & in data's strings as they are, as the WebSocket transport does: the same
// JSON for any decoder.
func encodeResponse(resp *response) ([]byte, error) {
	if resp.Data == nil {
		return json.Marshal(resp)
	}
	var errs, ext []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = json.Marshal(resp.Errors); err != nil {
			return nil, err
		}
	}
	if len(resp.Extensions) > 0 {
		if ext, err = json.Marshal(resp.Extensions); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, len(resp.Data)+len(errs)+len(ext)+32)
	b = append(b, '{')
	if errs != nil {
		b = append(b, `"errors":`...)
		b = append(b, errs...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	b = append(b, resp.Data...)
	if ext != nil {
		b = append(b, `,"extensions":`...)
		b = append(b, ext...)
	}
	return append(b, '}'), nil
}

// allowMethods answers methods /graphql does not serve (PUT, DELETE, PATCH, ...) with a coded
// GraphQL error, 405 and an Allow header, instead of gqlgen's uncoded "transport not supported".
// CORS preflights (OPTIONS) are answered before this by the CORS handler.
func allowMethods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			w.Header().Set("Content-Type", mediaJSON)
			writeRequestError(w, http.StatusMethodNotAllowed,
				"method "+r.Method+" is not allowed: send GraphQL operations with POST (or queries with GET)", CodeMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}
