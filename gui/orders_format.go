package gui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The marketplace screens (licenses, orders, deliveries, API packages) share the formatting
// below: amounts are cents of a currency with two decimals, as the marketplace stores them.

// money is an amount for people: "1,299.00 EUR".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return strings.TrimSpace(fmt.Sprintf("%s%s.%02d %s", sign, grouped(cents/100), cents%100, currency))
}

// grouped is a whole number with its thousands grouped: 50,000.
func grouped(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// errMoneyFormat is parseMoney's complaint, phrased for the person typing.
var errMoneyFormat = errors.New("write an amount such as 12.50 (digits, and at most two after the point)")

// parseMoney reads an amount typed by a person ("12.5", "1,299.00", "12") into cents. A comma
// before the last three digits groups thousands; a single comma with one or two digits after it is
// a decimal comma.
func parseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errMoneyFormat
	}
	if i := strings.LastIndexByte(s, ','); i >= 0 && !strings.Contains(s, ".") && len(s)-i-1 <= 2 {
		s = s[:i] + "." + s[i+1:] // decimal comma
	}
	whole, frac, _ := strings.Cut(s, ".")
	whole = strings.ReplaceAll(whole, ",", "")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || !allDigits(whole) || !allDigits(frac) {
		return 0, errMoneyFormat
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<62)/100 {
		return 0, errMoneyFormat
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// day is a date for people, in local time: "2026-11-27".
func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02")
}

// dayTime is a moment for people, in local time: "2026-11-27 14:05".
func dayTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// words turns a wire value into words: "in_transit" → "In transit", "api_package" → "API package".
func words(v string) string {
	if v == "" {
		return "—"
	}
	v = strings.ReplaceAll(v, "_", " ")
	if rest, ok := strings.CutPrefix(v, "api "); ok {
		return "API " + rest
	}
	return capitalise(v)
}
