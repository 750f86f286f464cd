// Package push is a small client of Expo's push service (no Expo Go SDK is available here): it
// sends batches of messages to /--/api/v2/push/send and reads receipts from
// /--/api/v2/push/getReceipts, following Expo's documented contract (docs.expo.dev,
// "Send notifications with the Expo Push Service"):
//
//   - send takes at most 100 messages per request and answers with one ticket per message, in
//     the same order: {"data": [{"status": "ok", "id": "<receipt id>"} | {"status": "error",
//     "message": "...", "details": {"error": "DeviceNotRegistered"}}]};
//   - getReceipts takes at most 1,000 ticket ids ({"ids": [...]}) and answers with a map from id
//     to receipt, {"data": {"<id>": {"status": "ok"} | {"status": "error", ...}}}; a receipt not
//     ready yet is absent, and receipts are kept by Expo for about a day;
//   - a request refused as a whole answers with {"errors": [{"code": "...", "message": "..."}]}
//     and a 4xx or 5xx status; 429 (more than 600 notifications per second for the project) and
//     5xx are worth retrying with backoff, other 4xx are not;
//   - the notification payload sent to Apple and Google must be at most 4 KiB (MessageTooBig).
//
// The client retries 429 and 5xx (and transport errors) itself with exponential backoff,
// resending the very same bytes, so a retried batch cannot change between attempts. Pacing the
// project's rate across instances is Pacer's job.
package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expo's documented limits.
const (
	// MaxMessages is the most messages one send request may carry.
	MaxMessages = 100
	// MaxReceiptIDs is the most ticket ids one getReceipts request may carry.
	MaxReceiptIDs = 1000
	// MaxPayloadBytes is the most a notification's payload may weigh once sent to Apple or
	// Google.
	MaxPayloadBytes = 4096
	// ProjectRatePerSecond is the most notifications Expo accepts per second for a project.
	ProjectRatePerSecond = 600
)

// Paths of Expo's endpoints under the base URL (https://exp.host in production).
const (
	SendPath     = "/--/api/v2/push/send"
	ReceiptsPath = "/--/api/v2/push/getReceipts"
)

// Error codes of tickets and receipts (details.error) that callers act upon.
const (
	// DeviceNotRegistered: the token no longer reaches an install (app removed, notifications
	// revoked, token rotated); stop sending to it.
	DeviceNotRegistered = "DeviceNotRegistered"
	// MessageTooBig: the payload exceeded 4 KiB.
	MessageTooBig = "MessageTooBig"
	// MessageRateExceeded: too many messages to one device.
	MessageRateExceeded = "MessageRateExceeded"
	// MismatchSenderID: the project's FCM credentials do not match the app.
	MismatchSenderID = "MismatchSenderId"
	// InvalidCredentials: the project's push credentials are wrong or revoked.
	InvalidCredentials = "InvalidCredentials"
)

// tokenPattern is the shape of an Expo push token: ExponentPushToken[...] (or the newer
// ExpoPushToken[...]) around the identifier Expo issued.
var tokenPattern = regexp.MustCompile(`^(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_-]{8,200}\]$`)

// ValidToken reports whether token has the shape of an Expo push token.
func ValidToken(token string) bool { return tokenPattern.MatchString(token) }

// Message is one push notification in Expo's message request format (the fields this project
// uses).
type Message struct {
	// To is the recipient's Expo push token.
	To    string `json:"to"`
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	// Data is a JSON object delivered to the app (ids of what the notification is about).
	Data json.RawMessage `json:"data,omitempty"`
	// Badge sets the app icon's badge (iOS).
	Badge *int `json:"badge,omitempty"`
	// Sound plays a sound on arrival (iOS): "default" or none.
	Sound string `json:"sound,omitempty"`
	// ChannelID is the Android notification channel, which the app must have created.
	ChannelID string `json:"channelId,omitempty"`
	// Priority is "default", "normal" or "high".
	Priority string `json:"priority,omitempty"`
}

// Details carries the error code of a failed ticket or receipt.
type Details struct {
	Error string `json:"error,omitempty"`
}

// Ticket is Expo's answer for one message of a send request.
type Ticket struct {
	// Status is "ok" or "error".
	Status string `json:"status"`
	// ID is the receipt id of an accepted message.
	ID      string   `json:"id,omitempty"`
	Message string   `json:"message,omitempty"`
	Details *Details `json:"details,omitempty"`
}

// Receipt is the outcome of one accepted message, known some time after it was sent.
type Receipt struct {
	Status  string   `json:"status"`
	Message string   `json:"message,omitempty"`
	Details *Details `json:"details,omitempty"`
}

// ErrorCode is the details.error of a ticket or receipt ("" when none).
func (t Ticket) ErrorCode() string { return detailsError(t.Details) }

// ErrorCode is the details.error of a receipt ("" when none).
func (r Receipt) ErrorCode() string { return detailsError(r.Details) }

func detailsError(d *Details) string {
	if d == nil {
		return ""
	}
	return d.Error
}

// APIError is one entry of a refused request's "errors".
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RequestError is a request Expo refused as a whole (or a transport failure, Status 0).
type RequestError struct {
	Status int
	Errors []APIError
	// RetryAfter is what Expo's Retry-After header asked for, when it did.
	RetryAfter time.Duration
	Err        error
}

func (e *RequestError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("expo push: %v", e.Err)
	}
	var codes []string
	for _, x := range e.Errors {
		codes = append(codes, x.Code)
	}
	return fmt.Sprintf("expo push: HTTP %d %s", e.Status, strings.Join(codes, ","))
}

func (e *RequestError) Unwrap() error { return e.Err }

// Retryable reports whether the request may succeed if sent again: a transport error, 429 or 5xx.
func (e *RequestError) Retryable() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Retryable reports whether err is a RequestError worth retrying.
func Retryable(err error) bool {
	var re *RequestError
	return errors.As(err, &re) && re.Retryable()
}

// Config configures a Client.
type Config struct {
	// BaseURL is Expo's (https://exp.host) or a compatible server's.
	BaseURL string
	// AccessToken is sent as a bearer token when set (required when the project enables
	// Expo's enhanced push security).
	AccessToken string
	// HTTP is the HTTP client (nil: one with a 15 s timeout).
	HTTP *http.Client
	// MaxAttempts bounds the attempts of one request on 429, 5xx and transport errors (0: 4).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 (n from 1) when Expo sent no Retry-After
	// (nil: 1 s, 2 s, 4 s... up to 30 s).
	Backoff func(attempt int) time.Duration
	// Sleep waits (tests make it instant); nil: a timer bounded by ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to Expo's push API.
type Client struct {
	base, token string
	http        *http.Client
	attempts    int
	backoff     func(int) time.Duration
	sleep       func(context.Context, time.Duration) error
}

// NewClient returns a client of cfg.BaseURL.
func NewClient(cfg Config) *Client {
	c := &Client{base: strings.TrimRight(cfg.BaseURL, "/"), token: cfg.AccessToken, http: cfg.HTTP,
		attempts: cfg.MaxAttempts, backoff: cfg.Backoff, sleep: cfg.Sleep}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	if c.attempts <= 0 {
		c.attempts = 4
	}
	if c.backoff == nil {
		c.backoff = func(n int) time.Duration { return min(time.Second<<(n-1), 30*time.Second) }
	}
	if c.sleep == nil {
		c.sleep = Sleep
	}
	return c
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send sends up to MaxMessages messages and returns their tickets, in the order of msgs.
func (c *Client) Send(ctx context.Context, msgs []Message) ([]Ticket, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if len(msgs) > MaxMessages {
		return nil, fmt.Errorf("expo push: %d messages in one request, at most %d", len(msgs), MaxMessages)
	}
	var out struct {
		Data []Ticket `json:"data"`
	}
	if err := c.post(ctx, SendPath, msgs, &out); err != nil {
		return nil, err
	}
	if len(out.Data) != len(msgs) {
		return nil, fmt.Errorf("expo push: %d tickets for %d messages", len(out.Data), len(msgs))
	}
	return out.Data, nil
}

// Receipts returns the receipts ready for up to MaxReceiptIDs ticket ids; ids whose receipt is
// not ready (or already gone) are absent.
func (c *Client) Receipts(ctx context.Context, ids []string) (map[string]Receipt, error) {
	if len(ids) == 0 {
		return map[string]Receipt{}, nil
	}
	if len(ids) > MaxReceiptIDs {
		return nil, fmt.Errorf("expo push: %d receipt ids in one request, at most %d", len(ids), MaxReceiptIDs)
	}
	var out struct {
		Data map[string]Receipt `json:"data"`
	}
	if err := c.post(ctx, ReceiptsPath, map[string][]string{"ids": ids}, &out); err != nil {
		return nil, err
	}
	if out.Data == nil {
		out.Data = map[string]Receipt{}
	}
	return out.Data, nil
}

// post sends body to path, retrying 429, 5xx and transport errors with backoff; every attempt
// sends the same bytes.
func (c *Client) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("expo push: encode: %w", err)
	}
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		err := c.once(ctx, path, b, out)
		if err == nil {
			return nil
		}
		last = err
		var re *RequestError
		if !errors.As(err, &re) || !re.Retryable() || attempt == c.attempts || ctx.Err() != nil {
			break
		}
		wait := re.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("expo push: %w (after %v)", err, last)
		}
	}
	return last
}

func (c *Client) once(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("expo push: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return &RequestError{Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return &RequestError{Err: err}
	}
	if res.StatusCode != http.StatusOK {
		re := &RequestError{Status: res.StatusCode}
		var e struct {
			Errors []APIError `json:"errors"`
		}
		if json.Unmarshal(raw, &e) == nil {
			re.Errors = e.Errors
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			re.RetryAfter = time.Duration(s) * time.Second
		}
		return re
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("expo push: decode %s: %w", path, err)
	}
	return nil
}
