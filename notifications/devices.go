package notifications

import (
	"context"
	"fmt"
	"regexp"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/store"
)

// DefaultMaxPushDevices is how many devices a member keeps at most (PUSH_MAX_DEVICES): a phone,
// a tablet and a few reinstalls; registering one more forgets the least recently registered.
const DefaultMaxPushDevices = 10

// localePattern is a BCP 47 language tag as apps report them (en, fr-FR, zh-Hant-TW).
var localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)

// PushDeviceInput is what an app sends to register for push.
type PushDeviceInput struct {
	// Token is the Expo push token (ExponentPushToken[...]).
	Token    string
	Platform domain.PushPlatform
	// Locale is the app's language (BCP 47), optional.
	Locale *string
}

// RegisterPushDevice registers the actor's device for push, or refreshes it. A token registered
// by another member (the phone changed hands, or two accounts on one install) moves to the
// actor, and what was waiting for the other member on it is dropped. Past the cap of devices per
// member, the least recently registered is forgotten. Errors: BAD_USER_INPUT on token, platform
// or locale.
func (s *Service) RegisterPushDevice(ctx context.Context, actor domain.Actor, in PushDeviceInput) (domain.PushDevice, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.PushDevice{}, err
	}
	if !push.ValidToken(in.Token) {
		return domain.PushDevice{}, domain.Invalid("token", "must be an Expo push token (ExponentPushToken[...])")
	}
	if !in.Platform.Valid() {
		return domain.PushDevice{}, domain.Invalid("platform", "must be IOS or ANDROID")
	}
	if in.Locale != nil && (len(*in.Locale) > 35 || !localePattern.MatchString(*in.Locale)) {
		return domain.PushDevice{}, domain.Invalid("locale", "must be a language tag such as en or fr-FR")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return domain.PushDevice{}, fmt.Errorf("register push device: %w", err)
	}
	now := s.now()
	d := domain.PushDevice{ID: id, UserID: actor.ID(), Token: in.Token, Platform: in.Platform, Locale: in.Locale,
		CreatedAt: now, LastRegisteredAt: now}
	if in.Locale != nil {
		// Matched once here, so the outbox picks the device's text without matching tags.
		lang := i18n.Match(*in.Locale)
		d.Lang = &lang
	}
	var out domain.PushDevice
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		out, err = q.RegisterPushDevice(ctx, d, s.maxDevices)
		return err
	})
	if err != nil {
		return domain.PushDevice{}, fmt.Errorf("register push device: %w", err)
	}
	return out, nil
}

// UnregisterPushDevice stops push to the actor's device with token (signing out of the app); it
// reports whether the actor had it. Errors: BAD_USER_INPUT on a malformed token.
func (s *Service) UnregisterPushDevice(ctx context.Context, actor domain.Actor, token string) (bool, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return false, err
	}
	if !push.ValidToken(token) {
		return false, domain.Invalid("token", "must be an Expo push token (ExponentPushToken[...])")
	}
	ok, err := s.store.Q().UnregisterPushDevice(ctx, actor.ID(), token)
	if err != nil {
		return false, fmt.Errorf("unregister push device: %w", err)
	}
	return ok, nil
}

// PushDevices lists the actor's devices, most recently registered first.
func (s *Service) PushDevices(ctx context.Context, actor domain.Actor) ([]domain.PushDevice, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	out, err := s.store.Q().PushDevicesOf(ctx, actor.ID())
	if err != nil {
		return nil, fmt.Errorf("push devices: %w", err)
	}
	return out, nil
}
