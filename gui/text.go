package gui

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	aclient "github.com/iscdesk/iscdesk/agent/client"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// errorText is err for people: the server's own words when it gave some, else the error.
func errorText(err error) string {
	var m *mclient.APIError
	if errors.As(err, &m) && m.Message != "" {
		return capitalise(m.Message)
	}
	var a *aclient.APIError
	if errors.As(err, &a) && a.Message != "" {
		return capitalise(a.Message)
	}
	return capitalise(err.Error())
}

// capitalise upper-cases the first letter of s.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// byteSize is n bytes for people: 950 B, 12.3 MB.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// timeLeft is an ETA for people: "8 s left", "3 min left", "1 h 5 min left".
func timeLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%d s left", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min left", int(d.Round(time.Minute)/time.Minute))
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%d h %d min left", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
