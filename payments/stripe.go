package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Stripe is the part of Stripe's API that payments uses. Every method that POSTs takes the
// idempotency key to send: callers derive it from the payment id and the saga step and reuse
// it on every retry, so a retried call never has a second effect.
type Stripe interface {
	// CreatePaymentIntent creates a manual-capture PaymentIntent whose charge is transferred
	// to the mentor's connected account, minus the platform fee.
	CreatePaymentIntent(ctx context.Context, in IntentParams, key string) (Intent, error)
	// CapturePaymentIntent captures an authorised PaymentIntent in full.
	CapturePaymentIntent(ctx context.Context, intentID, key string) (Intent, error)
	// CapturePaymentIntentPart captures amount of an authorised PaymentIntent, with fee as the
	// platform's application fee; Stripe releases the rest.
	CapturePaymentIntentPart(ctx context.Context, intentID string, amount, fee int64, key string) (Intent, error)
	// CancelPaymentIntent releases an uncaptured PaymentIntent.
	CancelPaymentIntent(ctx context.Context, intentID, key string) (Intent, error)
	// Refund gives back amount of a captured PaymentIntent, with the platform fee refunded and
	// the mentor's transfer reversed in proportion. metadata is attached to the Refund (it
	// comes back in its webhooks).
	Refund(ctx context.Context, intentID string, amount int64, metadata map[string]string, key string) (string, error)
	// CreateAccount creates an Express connected account and returns its id.
	CreateAccount(ctx context.Context, email, key string) (string, error)
	// CreateAccountLink returns the URL of an onboarding link for a connected account.
	CreateAccountLink(ctx context.Context, accountID, refreshURL, returnURL, key string) (string, error)
	// DeleteAccount deletes a connected account (an erased mentor's); one already gone at
	// Stripe is no error.
	DeleteAccount(ctx context.Context, accountID string) error
}

// Refused reports whether err is Stripe's definite refusal of a request: an answer in the 4xx
// range other than 409 (a concurrent request with the same key), 429 (rate limited) and an
// idempotency error (the key was used with other parameters: the first request may have taken
// effect). Stripe then did nothing, and retrying with the same key gets the same answer.
// Everything else (a network error, a timeout, a 5xx) is ambiguous: the call may have taken
// effect, so it is retried with the same key until Stripe answers one way or the other.
func Refused(err error) bool {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return false
	}
	switch {
	case se.HTTPStatusCode < 400 || se.HTTPStatusCode >= 500:
		return false
	case se.HTTPStatusCode == http.StatusConflict, se.HTTPStatusCode == http.StatusTooManyRequests:
		return false
	case se.Type == stripe.ErrorTypeIdempotency:
		return false
	}
	return true
}

// IntentParams describe a PaymentIntent to create.
type IntentParams struct {
	// AmountMinor and Currency (ISO, upper-case) are what the payer is charged.
	AmountMinor int64
	Currency    string
	// FeeMinor is the platform's application fee.
	FeeMinor int64
	// Destination is the mentor's connected account id.
	Destination string
	// Metadata ties the intent back to SkillSwap (payment and session ids).
	Metadata map[string]string
}

// Intent is what payments needs of a PaymentIntent.
type Intent struct {
	ID           string
	ClientSecret string
	Status       string
	// AmountReceived is what was captured.
	AmountReceived int64
}

// StripeConfig configures the stripe-go client.
type StripeConfig struct {
	// SecretKey is the API key (sk_...).
	SecretKey string
	// APIBase overrides https://api.stripe.com (tests point it at stripe-mock).
	APIBase string
	// HTTPClient carries the requests (nil: stripe-go's default with its timeouts).
	HTTPClient *http.Client
	// MaxNetworkRetries is how often stripe-go retries a failed request, with the same
	// idempotency key (0: the default, 2; negative: never, as the fault-injection tests want,
	// so a failure reaches the saga's own retry).
	MaxNetworkRetries int64
}

// stripeAPI implements Stripe over stripe-go's client.API.
type stripeAPI struct{ api *client.API }

// NewStripe returns a Stripe client over stripe-go, with its own backends (no global state).
func NewStripe(cfg StripeConfig) Stripe {
	retries := cfg.MaxNetworkRetries
	if retries == 0 {
		retries = 2
	}
	if retries < 0 {
		retries = 0
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        cfg.HTTPClient,
		MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelError},
		EnableTelemetry:   stripe.Bool(false),
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimSuffix(cfg.APIBase, "/"))
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	}
	return &stripeAPI{api: client.New(cfg.SecretKey, backends)}
}

func params(ctx context.Context, p *stripe.Params, key string) {
	p.Context = ctx
	p.SetIdempotencyKey(key)
}

func toIntent(pi *stripe.PaymentIntent) Intent {
	return Intent{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status), AmountReceived: pi.AmountReceived}
}

func (s *stripeAPI) CreatePaymentIntent(ctx context.Context, in IntentParams, key string) (Intent, error) {
	p := &stripe.PaymentIntentParams{
		Amount:               stripe.Int64(in.AmountMinor),
		Currency:             stripe.String(strings.ToLower(in.Currency)),
		CaptureMethod:        stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		ApplicationFeeAmount: stripe.Int64(in.FeeMinor),
		TransferData:         &stripe.PaymentIntentTransferDataParams{Destination: stripe.String(in.Destination)},
	}
	for k, v := range in.Metadata {
		p.AddMetadata(k, v)
	}
	params(ctx, &p.Params, key)
	pi, err := s.api.PaymentIntents.New(p)
	if err != nil {
		return Intent{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	return toIntent(pi), nil
}

func (s *stripeAPI) CapturePaymentIntent(ctx context.Context, intentID, key string) (Intent, error) {
	p := &stripe.PaymentIntentCaptureParams{}
	params(ctx, &p.Params, key)
	pi, err := s.api.PaymentIntents.Capture(intentID, p)
	if err != nil {
		return Intent{}, fmt.Errorf("stripe: capture payment intent: %w", err)
	}
	return toIntent(pi), nil
}

func (s *stripeAPI) CapturePaymentIntentPart(ctx context.Context, intentID string, amount, fee int64, key string) (Intent, error) {
	p := &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(amount), ApplicationFeeAmount: stripe.Int64(fee)}
	params(ctx, &p.Params, key)
	pi, err := s.api.PaymentIntents.Capture(intentID, p)
	if err != nil {
		return Intent{}, fmt.Errorf("stripe: capture part of payment intent: %w", err)
	}
	return toIntent(pi), nil
}

func (s *stripeAPI) CancelPaymentIntent(ctx context.Context, intentID, key string) (Intent, error) {
	p := &stripe.PaymentIntentCancelParams{}
	params(ctx, &p.Params, key)
	pi, err := s.api.PaymentIntents.Cancel(intentID, p)
	if err != nil {
		return Intent{}, fmt.Errorf("stripe: cancel payment intent: %w", err)
	}
	return toIntent(pi), nil
}

func (s *stripeAPI) Refund(ctx context.Context, intentID string, amount int64, metadata map[string]string, key string) (string, error) {
	p := &stripe.RefundParams{
		PaymentIntent:        stripe.String(intentID),
		Amount:               stripe.Int64(amount),
		RefundApplicationFee: stripe.Bool(true),
		ReverseTransfer:      stripe.Bool(true),
	}
	for k, v := range metadata {
		p.AddMetadata(k, v)
	}
	params(ctx, &p.Params, key)
	r, err := s.api.Refunds.New(p)
	if err != nil {
		return "", fmt.Errorf("stripe: refund: %w", err)
	}
	return r.ID, nil
}

func (s *stripeAPI) CreateAccount(ctx context.Context, email, key string) (string, error) {
	p := &stripe.AccountParams{
		Type:  stripe.String(string(stripe.AccountTypeExpress)),
		Email: stripe.String(email),
		Capabilities: &stripe.AccountCapabilitiesParams{
			CardPayments: &stripe.AccountCapabilitiesCardPaymentsParams{Requested: stripe.Bool(true)},
			Transfers:    &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
		},
	}
	params(ctx, &p.Params, key)
	a, err := s.api.Accounts.New(p)
	if err != nil {
		return "", fmt.Errorf("stripe: create account: %w", err)
	}
	return a.ID, nil
}

func (s *stripeAPI) CreateAccountLink(ctx context.Context, accountID, refreshURL, returnURL, key string) (string, error) {
	p := &stripe.AccountLinkParams{
		Account:    stripe.String(accountID),
		RefreshURL: stripe.String(refreshURL),
		ReturnURL:  stripe.String(returnURL),
		Type:       stripe.String(string(stripe.AccountLinkTypeAccountOnboarding)),
	}
	params(ctx, &p.Params, key)
	l, err := s.api.AccountLinks.New(p)
	if err != nil {
		return "", fmt.Errorf("stripe: create account link: %w", err)
	}
	return l.URL, nil
}

func (s *stripeAPI) DeleteAccount(ctx context.Context, accountID string) error {
	p := &stripe.AccountParams{}
	p.Context = ctx
	_, err := s.api.Accounts.Del(accountID, p)
	var se *stripe.Error
	if errors.As(err, &se) && (se.Code == stripe.ErrorCodeResourceMissing || se.HTTPStatusCode == http.StatusNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stripe: delete account: %w", err)
	}
	return nil
}
