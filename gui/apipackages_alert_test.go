package gui

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestQuotaAlert(t *testing.T) {
	pkg := api.APIPackage{ID: "apk_1", TotalCalls: 50000, RemainingCalls: 42000}
	for _, tc := range []struct {
		name, mode, threshold string
		channels              []string
		pkg                   api.APIPackage
		want                  api.QuotaAlert
		err                   string
	}{
		{name: "percent", mode: api.AlertPercent, threshold: "20", channels: []string{api.ChannelEmail}, pkg: pkg,
			want: api.QuotaAlert{Mode: api.AlertPercent, Threshold: 20, Channels: []string{api.ChannelEmail}}},
		{name: "absolute, grouped, channels in order and once", mode: api.AlertAbsolute, threshold: " 5,000 ",
			channels: []string{api.ChannelSMS, api.ChannelInSite, api.ChannelSMS}, pkg: pkg,
			want: api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 5000, Channels: []string{api.ChannelInSite, api.ChannelSMS}}},
		{name: "percent 0", mode: api.AlertPercent, threshold: "0", channels: []string{api.ChannelEmail}, pkg: pkg, err: "from 1 to 99"},
		{name: "percent 100", mode: api.AlertPercent, threshold: "100", channels: []string{api.ChannelEmail}, pkg: pkg, err: "from 1 to 99"},
		{name: "absolute at the total", mode: api.AlertAbsolute, threshold: "50000", channels: []string{api.ChannelEmail}, pkg: pkg, err: "from 1 to 49,999"},
		{name: "absolute on a one-call package", mode: api.AlertAbsolute, threshold: "1", channels: []string{api.ChannelEmail},
			pkg: api.APIPackage{TotalCalls: 1}, err: "too few"},
		{name: "not a number", mode: api.AlertPercent, threshold: "ten", channels: []string{api.ChannelEmail}, pkg: pkg, err: "whole number"},
		{name: "no mode", threshold: "10", channels: []string{api.ChannelEmail}, pkg: pkg, err: "choose whether"},
		{name: "no channel", mode: api.AlertPercent, threshold: "10", pkg: pkg, err: "at least one way"},
		{name: "unknown channel only", mode: api.AlertPercent, threshold: "10", channels: []string{"pager"}, pkg: pkg, err: "at least one way"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := quotaAlert(tc.pkg, tc.mode, tc.threshold, tc.channels)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestQuotaTexts(t *testing.T) {
	p := api.APIPackage{TotalCalls: 50000, RemainingCalls: 12340}
	assert.Equal(t, "12,340 of 50,000 calls left (24 %)", quotaLine(p))
	assert.Equal(t, "No alert set.", alertText(nil))
	assert.False(t, belowAlert(p))

	p.Alert = &api.QuotaAlert{Mode: api.AlertPercent, Threshold: 25, Channels: []string{api.ChannelSMS, api.ChannelInSite}}
	assert.Equal(t, "Alert when 25 % of the calls are left, by In ISCDesk, SMS.", alertText(p.Alert))
	assert.True(t, belowAlert(p))
	p.Alert.Threshold = 24
	assert.False(t, belowAlert(p), "24.68 % left is above 24 %")

	p.Alert = &api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 12340, Channels: []string{api.ChannelEmail}}
	assert.Equal(t, "Alert when 12,340 calls are left, by Email.", alertText(p.Alert))
	assert.True(t, belowAlert(p))
}
