package run

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

func TestJudge(t *testing.T) {
	twoStrays := []StrayProcess{{PID: 11, Command: "sleep 1000"}, {PID: 12, Command: "updater --daemon"}}
	tests := []struct {
		name    string
		r       Result
		how     string
		want    manifest.Outcome
		reason  string
		pkgCode map[int]manifest.Outcome
	}{
		{name: "0", r: Result{ExitCode: 0}, want: manifest.OutcomeSuccess, reason: "exited 0 (success)"},
		{name: "3010", r: Result{ExitCode: 3010}, want: manifest.OutcomeReboot, reason: "exited 3010 (success, reboot required)"},
		{name: "1641", r: Result{ExitCode: 1641}, want: manifest.OutcomeReboot, reason: "exited 1641 (success, reboot required)"},
		{name: "1618", r: Result{ExitCode: 1618}, want: manifest.OutcomeRetryLater,
			reason: "exited 1618 (another installation is in progress; retry later)"},
		{name: "1602", r: Result{ExitCode: 1602}, want: manifest.OutcomeCancelled,
			reason: "exited 1602 (cancelled by the installer or the user)"},
		{name: "1223", r: Result{ExitCode: 1223}, want: manifest.OutcomeCancelled,
			reason: "exited 1223 (cancelled by the installer or the user)"},
		{name: "1", r: Result{ExitCode: 1}, want: manifest.OutcomeFailed, reason: "exited 1 (failed)"},
		{name: "package code", r: Result{ExitCode: 5}, pkgCode: map[int]manifest.Outcome{5: manifest.OutcomeReboot},
			want: manifest.OutcomeReboot, reason: "exited 5 (success, reboot required)"},
		{name: "package table hides defaults it does not repeat", r: Result{ExitCode: 3010}, pkgCode: map[int]manifest.Outcome{},
			want: manifest.OutcomeFailed, reason: "exited 3010 (failed)"},
		{name: "signal", r: Result{ExitCode: -1}, how: "signal: segmentation fault", want: manifest.OutcomeFailed,
			reason: "ended by signal: segmentation fault"},
		{name: "timeout", r: Result{ExitCode: -1, TimedOut: true}, want: manifest.OutcomeFailed,
			reason: "did not finish within 1m30s; the whole process tree was killed"},
		{name: "cancelled", r: Result{ExitCode: -1, Cancelled: true}, want: manifest.OutcomeCancelled,
			reason: "cancelled; the whole process tree was killed"},
		{name: "strays turn a reboot into a failure", r: Result{ExitCode: 3010, Stray: twoStrays}, want: manifest.OutcomeFailed,
			reason: "exited 3010 (success, reboot required) but left 2 processes running (pid 11: sleep 1000, pid 12: updater --daemon); " +
				"they were killed — an installer must wait for every process it starts"},
		{name: "many strays stay one line", r: Result{ExitCode: 1, Stray: append(twoStrays, StrayProcess{13, "a"}, StrayProcess{14, "b"})},
			want: manifest.OutcomeFailed,
			reason: "exited 1 (failed) but left 4 processes running (pid 11: sleep 1000, pid 12: updater --daemon, pid 13: a, and 1 more); " +
				"they were killed — an installer must wait for every process it starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Spec
			if tt.pkgCode != nil {
				s.ExitCodes = func(c int) manifest.Outcome { return tt.pkgCode[c] }
			}
			got, reason := judge(s, tt.r, tt.how, 90*time.Second)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.reason, reason)
		})
	}
}

func TestResultErr(t *testing.T) {
	tests := []struct {
		name    string
		r       Result
		wantErr string // "" for none
	}{
		{"success", Result{Outcome: manifest.OutcomeSuccess, Tail: "done"}, ""},
		{"reboot", Result{Outcome: manifest.OutcomeReboot}, ""},
		{"failed with output", Result{Outcome: manifest.OutcomeFailed, Reason: "exited 1 (failed)", Tail: "\nE: disk full\n"},
			"exited 1 (failed); last output:\nE: disk full"},
		{"failed silently", Result{Outcome: manifest.OutcomeFailed, Reason: "exited 2 (failed)"}, "exited 2 (failed) (no output)"},
		{"retry later", Result{Outcome: manifest.OutcomeRetryLater, Reason: "exited 1618 (x)"}, "exited 1618 (x) (no output)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Err()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			var stepErr *Error
			require.ErrorAs(t, err, &stepErr)
			assert.Equal(t, tt.r.Outcome, stepErr.Result.Outcome)
			assert.False(t, errors.Is(err, context.Canceled))
		})
	}
	cancelled := Result{Outcome: manifest.OutcomeCancelled, Cancelled: true, Reason: "cancelled"}
	assert.ErrorIs(t, cancelled.Err(), context.Canceled)
}
