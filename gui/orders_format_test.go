package gui

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		cents    int64
		currency string
		want     string
	}{
		{0, "EUR", "0.00 EUR"},
		{5, "EUR", "0.05 EUR"},
		{129900, "EUR", "1,299.00 EUR"},
		{123456789, "USD", "1,234,567.89 USD"},
		{-2550, "EUR", "-25.50 EUR"},
		{100, "", "1.00"},
	} {
		assert.Equal(t, tc.want, money(tc.cents, tc.currency))
	}
	assert.Equal(t, "50,000", grouped(50000))
	assert.Equal(t, "-1,000", grouped(-1000))
	assert.Equal(t, "999", grouped(999))
}

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "12", want: 1200},
		{in: " 12.5 ", want: 1250},
		{in: "12.50", want: 1250},
		{in: ".5", want: 50},
		{in: "1,299.00", want: 129900},
		{in: "12,5", want: 1250},
		{in: "1,299", want: 129900},
		{in: "0", want: 0},
		{in: "", bad: true},
		{in: "12.345", bad: true},
		{in: "-5", bad: true},
		{in: "1e3", bad: true},
		{in: "ten", bad: true},
		{in: "99999999999999999999", bad: true},
	} {
		got, err := parseMoney(tc.in)
		if tc.bad {
			assert.ErrorIs(t, err, errMoneyFormat, "parseMoney(%q)", tc.in)
			continue
		}
		require.NoError(t, err, "parseMoney(%q)", tc.in)
		assert.Equal(t, tc.want, got, "parseMoney(%q)", tc.in)
	}
}

func TestWords(t *testing.T) {
	assert.Equal(t, "In transit", words("in_transit"))
	assert.Equal(t, "API package", words("api_package"))
	assert.Equal(t, "—", words(""))
}
