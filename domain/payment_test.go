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
