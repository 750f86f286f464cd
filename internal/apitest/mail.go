package apitest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/testdb"
)

// Email is a message the SMTP sink received, decoded.
type Email struct {
	To, Subject, Language string
	// Text and HTML are the decoded plain-text and HTML parts.
	Text, HTML string
	// Header is the message's header (List-Unsubscribe...); ContentType its media type, such as
	// multipart/alternative.
	Header      mail.Header
	ContentType string
}

// Mailbox is the Maildir the SMTP sink of `make test` writes to.
type Mailbox struct {
	Dir  string
	seen map[string]bool
}

// WithMail sends cfg's emails to the SMTP sink and runs the job workers that send them; it
// returns the sink's Maildir. It fails under `make test` without the sink and skips otherwise.
func WithMail(t testing.TB, cfg *config.Config) *Mailbox {
	t.Helper()
	addr, dir := os.Getenv("SMTP_ADDR"), os.Getenv("SMTP_SINK_DIR")
	if addr == "" || dir == "" {
		if testdb.RequireServices() {
			t.Fatal("SMTP_ADDR and SMTP_SINK_DIR must be set (the SMTP sink service)")
		}
		t.Skip("SMTP sink service not configured (SMTP_ADDR, SMTP_SINK_DIR); run `make test`")
	}
	cfg.SMTPAddr = addr
	cfg.RunWorkers = true
	return &Mailbox{Dir: dir, seen: map[string]bool{}}
}

// Next waits (up to 30 s) for a message to `to` not returned before whose subject contains
// subject, and returns it decoded. Recipients should be unique to the test run: the Maildir is
// shared by every test and run.
func (m *Mailbox) Next(t testing.TB, to, subject string) Email {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(m.Dir, "new", "*"))
		for _, f := range files {
			if m.seen[f] {
				continue
			}
			raw, err := os.ReadFile(f)
			if err != nil || !bytes.Contains(raw, []byte(to)) {
				continue
			}
			e, err := parseEmail(raw)
			if err != nil {
				t.Fatalf("parse %s: %v", f, err)
			}
			if !strings.EqualFold(e.To, to) || !strings.Contains(e.Subject, subject) {
				continue
			}
			m.seen[f] = true
			return e
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no email to %s with subject containing %q arrived in %s", to, subject, m.Dir)
	return Email{}
}

// Count is how many messages to `to` are in the Maildir.
func (m *Mailbox) Count(t testing.TB, to string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(m.Dir, "new", "*"))
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(raw, []byte(to)) {
			continue
		}
		if e, err := parseEmail(raw); err == nil && strings.EqualFold(e.To, to) {
			n++
		}
	}
	return n
}

func parseEmail(raw []byte) (Email, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Email{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Email{}, err
	}
	to := msg.Header.Get("To")
	if a, err := mail.ParseAddress(to); err == nil {
		to = a.Address
	}
	e := Email{To: to, Subject: subject, Language: msg.Header.Get("Content-Language"), Header: msg.Header}
	e.ContentType, _, _ = mime.ParseMediaType(msg.Header.Get("Content-Type"))
	err = readPart(msg.Header, msg.Body, &e)
	return e, err
}

// header is a message's or a part's header.
type header interface{ Get(string) string }

// readPart decodes one MIME part (recursing into multiparts) into e.
func readPart(h header, body io.Reader, e *Email) error {
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(p.Header, p, e); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = newBase64Reader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch mediaType {
	case "text/html":
		e.HTML = string(b)
	default:
		e.Text = string(b)
	}
	return nil
}

func newBase64Reader(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
}

// stripNewlines drops CR and LF, which base64 bodies wrap with.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
