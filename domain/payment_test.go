package domain

import "testing"

func TestPaymentStateOrder(t *testing.T) {
	cases := []struct {
		from, to PaymentState
		ok       bool
	}{
		{PaymentRequiresPaymentMethod, PaymentAuthorized, true},
		{PaymentFailed, PaymentAuthorized, true},
		{PaymentAuthorized, PaymentFailed, false},
		{PaymentAuthorized, PaymentCaptured, true},
		{PaymentCaptured, PaymentAuthorized, false},
		{PaymentCaptured, PaymentCanceled, false},
		{PaymentCanceled, PaymentCaptured, false},
		{PaymentCanceled, PaymentAuthorized, false},
		{PaymentAuthorized, PaymentCanceled, true},
		{PaymentCaptured, PaymentRefunded, true},
		{PaymentPartiallyRefunded, PaymentPartiallyRefunded, true},
		{PaymentRefunded, PaymentPartiallyRefunded, false},
	}
	for _, c := range cases {
		if got := c.from.CanMoveTo(c.to); got != c.ok {
			t.Errorf("%s -> %s = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestPaymentAmountsReconcile(t *testing.T) {
	if got := SessionPrice(3000, 90); got != 4500 {
		t.Errorf("SessionPrice = %d", got)
	}
	if got := SessionPrice(1000, 25); got != 417 { // 416.67 rounds up
		t.Errorf("SessionPrice rounding = %d", got)
	}
	if got := PlatformFee(4500, 12.5); got != 563 { // 562.5 rounds half up
		t.Errorf("PlatformFee = %d", got)
	}
	p := Payment{AmountMinor: 4500, FeeMinor: 563, State: PaymentAuthorized}.Capture()
	if !p.Reconciles() || p.TransferredMinor != 3937 {
		t.Fatalf("captured %+v", p)
	}
	p = p.Refund(1000)
	if !p.Reconciles() || p.State != PaymentPartiallyRefunded {
		t.Fatalf("partly refunded %+v", p)
	}
	p = p.Refund(1 << 40)
	if !p.Reconciles() || p.State != PaymentRefunded || p.RefundedMinor != 4500 || p.FeeMinor != 0 || p.TransferredMinor != 0 {
		t.Fatalf("refunded %+v", p)
	}
	if !ValidCurrency("EUR") || ValidCurrency("eur") || ValidCurrency("EU") {
		t.Error("ValidCurrency")
	}
}

func TestCapturePart(t *testing.T) {
	base := Payment{AmountMinor: 4500, FeeMinor: 450, State: PaymentAuthorized}
	for _, tc := range []struct {
		amount                     int64
		captured, fee, transferred int64
	}{
		{2250, 2250, 225, 2025},
		{4500, 4500, 450, 4050},
		{0, 4500, 450, 4050},    // nothing said: all of it
		{9999, 4500, 450, 4050}, // never more than the price
		{1, 1, 0, 1},            // the fee rounds to the nearest minor unit
		{333, 333, 33, 300},
	} {
		got := base.CapturePart(tc.amount)
		if got.State != PaymentCaptured || got.CapturedMinor != tc.captured || got.FeeMinor != tc.fee ||
			got.TransferredMinor != tc.transferred || !got.Reconciles() {
			t.Errorf("CapturePart(%d) = %+v", tc.amount, got)
		}
		// A later refund of everything still reconciles.
		if r := got.Refund(got.CapturedMinor); r.State != PaymentRefunded || !r.Reconciles() || r.TransferredMinor != 0 {
			t.Errorf("refund after CapturePart(%d) = %+v", tc.amount, r)
		}
	}
}
