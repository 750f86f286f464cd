// Package mail sends email: over SMTP when a relay is configured, to the log otherwise.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Email is one message: plain text, with an HTML alternative when HTML is set.
type Email struct {
	To      string
	Subject string
	Body    string
	// HTML is the same message as an HTML document; mail clients that show HTML prefer it.
	HTML string
	// Language is the message's language (Content-Language), such as "fr"; empty when unknown.
	Language string
	// Headers are extra header fields, such as List-Unsubscribe (RFC 2369, RFC 8058).
	Headers map[string]string
}

// SMTPConfig locates the SMTP relay.
type SMTPConfig struct {
	// Addr is host:port.
	Addr     string
	From     string
	Username string
	Password string
	// StartTLS requires STARTTLS (production relays); off for the local sink.
	StartTLS bool
	// Tracer, when set, records a client span around each send (the relay's address, never the
	// recipient or the subject).
	Tracer trace.Tracer
}

// SMTPMailer sends email through an SMTP relay.
type SMTPMailer struct {
	cfg  SMTPConfig
	host string
	port int
}

// NewSMTPMailer checks cfg and returns a mailer.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("smtp port %q: %w", portStr, err)
	}
	return &SMTPMailer{cfg: cfg, host: host, port: port}, nil
}

// Send delivers e; a failure is returned so the job retries later.
func (m *SMTPMailer) Send(ctx context.Context, e Email) (err error) {
	if m.cfg.Tracer != nil {
		var span trace.Span
		ctx, span = m.cfg.Tracer.Start(ctx, "smtp send", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("server.address", m.host), attribute.Int("server.port", m.port)))
		defer func() {
			var rejected *RejectedError
			switch {
			case errors.As(err, &rejected):
				span.SetAttributes(attribute.Int("smtp.reply_code", rejected.Code))
				span.SetStatus(codes.Error, "recipient refused")
			case err != nil:
				span.SetStatus(codes.Error, "send failed")
			}
			span.End()
		}()
	}
	msg := gomail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return fmt.Errorf("email from: %w", err)
	}
	if err := msg.To(e.To); err != nil {
		return fmt.Errorf("email to: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, e.Body)
	if e.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	if e.Language != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, e.Language)
	}
	for k, v := range e.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}

	opts := []gomail.Option{gomail.WithPort(m.port), gomail.WithTimeout(10 * time.Second)}
	if m.cfg.StartTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	client, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && se.ErrorCode() >= 500 && se.ErrorCode() <= 599 {
			return &RejectedError{Code: se.ErrorCode(), EnhancedCode: se.EnhancedStatusCode(), err: err}
		}
		return fmt.Errorf("smtp send to %s: %w", m.host, err)
	}
	return nil
}

// RejectedError is a permanent refusal of the recipient: the relay answered RCPT TO with a 5xx
// reply (such as 550 5.1.1, no such mailbox). Sending again would fail the same way (RFC 5321
// 4.2.1), so callers stop writing to that address rather than retry. Other 5xx replies (to MAIL
// FROM or DATA) are about the sender or the message, not the address, and stay ordinary errors.
type RejectedError struct {
	// Code is the SMTP reply code (500-599).
	Code int
	// EnhancedCode is the RFC 3463 status code (such as "5.1.1"), "" when the relay gave none.
	EnhancedCode string
	err          error
}

// Error implements error.
func (e *RejectedError) Error() string {
	return fmt.Sprintf("recipient refused (%d): %v", e.Code, e.err)
}

// Unwrap returns the SMTP error.
func (e *RejectedError) Unwrap() error { return e.err }

// LogMailer writes emails to the log instead of sending them (development without SMTP).
type LogMailer struct {
	Log *slog.Logger
}

// Send logs e's recipient and subject.
func (m LogMailer) Send(_ context.Context, e Email) error {
	m.Log.Info("email not sent: no SMTP configured", "subject", e.Subject)
	return nil
}
