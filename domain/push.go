package domain

import (
	"time"

	"github.com/google/uuid"
)

// PushPlatform is the operating system of a push device.
type PushPlatform string

// Push platforms.
const (
	PushIOS     PushPlatform = "IOS"
	PushAndroid PushPlatform = "ANDROID"
)

// Valid reports whether p is a known platform.
func (p PushPlatform) Valid() bool { return p == PushIOS || p == PushAndroid }

// PushDevice is an app install of a member that receives push notifications through Expo.
type PushDevice struct {
	ID     uuid.UUID `db:"id" json:"id"`
	UserID uuid.UUID `db:"user_id" json:"-"`
	// Token is the Expo push token: it reaches the install, so it is never shown back.
	Token    string       `db:"token" json:"-"`
	Platform PushPlatform `db:"platform" json:"platform"`
	// Locale is the app's language when it registered (BCP 47), when given.
	Locale *string `db:"locale" json:"locale,omitempty"`
	// Lang is the catalogue language ("en", "fr") Locale was matched to when it registered, the
	// language of its pushes; nil without a Locale (the member's profile locale is used).
	Lang             *string   `db:"lang" json:"-"`
	CreatedAt        time.Time `db:"created_at" json:"createdAt"`
	LastRegisteredAt time.Time `db:"last_registered_at" json:"lastRegisteredAt"`
}
