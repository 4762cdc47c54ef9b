package gui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Channel labels of the Set alert dialog, in the order shown.
var alertChannels = []struct{ value, label string }{
	{api.ChannelInSite, "In ISCDesk"},
	{api.ChannelEmail, "Email"},
	{api.ChannelSMS, "SMS"},
}

// quotaAlert checks what the Set alert dialog holds against the package, as the marketplace
// will: a percent threshold is 1..99, an absolute one 1..total-1, and one channel at least.
func quotaAlert(p api.APIPackage, mode, threshold string, channels []string) (api.QuotaAlert, error) {
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(threshold), ",", ""), 10, 64)
	switch mode {
	case api.AlertPercent:
		if err != nil || n < 1 || n > 99 {
			return api.QuotaAlert{}, errors.New("the threshold is a percentage of all calls: a whole number from 1 to 99")
		}
	case api.AlertAbsolute:
		if p.TotalCalls < 2 {
			return api.QuotaAlert{}, fmt.Errorf("the package has %d calls in all, too few for an alert on the calls left; use a percentage", p.TotalCalls)
		}
		if err != nil || n < 1 || n >= p.TotalCalls {
			return api.QuotaAlert{}, fmt.Errorf("the threshold is a number of calls left: a whole number from 1 to %s", grouped(p.TotalCalls-1))
		}
	default:
		return api.QuotaAlert{}, errors.New("choose whether the alert is a percentage or a number of calls left")
	}
	var chans []string
	for _, c := range alertChannels { // in a fixed order, each once
		for _, want := range channels {
			if want == c.value && (len(chans) == 0 || chans[len(chans)-1] != c.value) {
				chans = append(chans, c.value)
			}
		}
	}
	if len(chans) == 0 {
		return api.QuotaAlert{}, errors.New("choose at least one way to be told: in ISCDesk, email or SMS")
	}
	return api.QuotaAlert{Mode: mode, Threshold: n, Channels: chans}, nil
}

// alertText says when and how a package's alert fires, for people.
func alertText(a *api.QuotaAlert) string {
	if a == nil {
		return "No alert set."
	}
	var names []string
	for _, c := range alertChannels {
		for _, have := range a.Channels {
			if have == c.value {
				names = append(names, c.label)
			}
		}
	}
	how := strings.Join(names, ", ")
	if a.Mode == api.AlertPercent {
		return fmt.Sprintf("Alert when %d %% of the calls are left, by %s.", a.Threshold, how)
	}
	return fmt.Sprintf("Alert when %s calls are left, by %s.", grouped(a.Threshold), how)
}

// quotaLine is the text on a package's bar: "12,340 of 50,000 calls left (25 %)".
func quotaLine(p api.APIPackage) string {
	if p.TotalCalls <= 0 {
		return grouped(p.RemainingCalls) + " calls left"
	}
	return fmt.Sprintf("%s of %s calls left (%d %%)", grouped(p.RemainingCalls), grouped(p.TotalCalls), p.RemainingCalls*100/p.TotalCalls)
}

// belowAlert reports whether a package's remaining calls are at or under its alert threshold.
func belowAlert(p api.APIPackage) bool {
	a := p.Alert
	switch {
	case a == nil:
		return false
	case a.Mode == api.AlertPercent:
		return p.TotalCalls > 0 && p.RemainingCalls*100 <= a.Threshold*p.TotalCalls
	default:
		return p.RemainingCalls <= a.Threshold
	}
}
