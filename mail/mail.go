// Package mail sends email: over SMTP when a relay is configured, to the log otherwise.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
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
func (m *SMTPMailer) Send(ctx context.Context, e Email) error {
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
		return fmt.Errorf("smtp send to %s: %w", m.host, err)
	}
	return nil
}

// LogMailer writes emails to the log instead of sending them (development without SMTP).
type LogMailer struct {
	Log *slog.Logger
}

// Send logs e's recipient and subject.
func (m LogMailer) Send(_ context.Context, e Email) error {
	m.Log.Info("email not sent: no SMTP configured", "subject", e.Subject)
	return nil
}
