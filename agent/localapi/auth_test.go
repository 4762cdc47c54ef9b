package localapi

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAccounts is a user and group database; lookups counts the calls, to test the cache.
type fakeAccounts struct {
	names   map[string]string
	groups  map[string][]string
	gids    map[string]string
	lookups int
}

func (f *fakeAccounts) userName(uid string) (string, error) {
	f.lookups++
	if n, ok := f.names[uid]; ok {
		return n, nil
	}
	return "", errors.New("unknown user")
}

func (f *fakeAccounts) userGroups(uid string) ([]string, error) { return f.groups[uid], nil }

func (f *fakeAccounts) groupID(name string) (string, error) {
	if g, ok := f.gids[name]; ok {
		return g, nil
	}
	return "", errors.New("unknown group")
}

func newFakeAccounts() *fakeAccounts {
	return &fakeAccounts{
		names:  map[string]string{"0": "root", "1000": "ada", "1001": "bob", "1002": "cy", "S-1-5-21-1-1001": "ADA"},
		groups: map[string][]string{"1000": {"1000", "990"}, "1001": {"1001"}},
		gids:   map[string]string{"iscdesk": "990", "installers": "S-1-5-21-1-2000"},
	}
}

func TestAuthorizerCaller(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		policy  Policy
		peer    Peer
		unknown bool
		user    string
		can     bool
	}{
		{name: "root", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "0", GID: "0", Admin: true}, user: "root", can: true},
		{name: "member by /etc/group", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "1000", GID: "1000"}, user: "ada", can: true},
		{name: "member by the process gid", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "1002", GID: "990"}, user: "cy", can: true},
		{name: "member by the reported groups", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "1002", GID: "1002", Groups: []string{"990"}}, user: "cy", can: true},
		{name: "not a member", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "1001", GID: "1001"}, user: "bob"},
		{name: "no group configured", policy: Policy{}, peer: Peer{UID: "1000", GID: "1000"}, user: "ada"},
		{name: "group missing on this machine", policy: Policy{InstallGroup: "nosuch"}, peer: Peer{UID: "1000", GID: "1000"}, user: "ada"},
		{name: "the agent's own user", policy: Policy{OwnerUID: "1001"}, peer: Peer{UID: "1001", GID: "1001"}, user: "bob", can: true},
		{name: "another user in user mode", policy: Policy{OwnerUID: "1001"}, peer: Peer{UID: "1000", GID: "1000"}, user: "ada"},
		{name: "unknown uid", policy: Policy{InstallGroup: "iscdesk"}, peer: Peer{UID: "4242", GID: "4242"}, user: ""},
		{name: "trusted by socket mode", policy: Policy{}, peer: Peer{Trusted: true}, can: true},
		{name: "not identified", policy: Policy{InstallGroup: "iscdesk"}, unknown: true, user: "unknown (the OS did not say who is calling)"},
		{name: "windows admin", goos: "windows", policy: Policy{InstallGroup: "installers"}, peer: Peer{UID: "S-1-5-21-1-1001", Admin: true}, user: "ADA", can: true},
		{name: "windows group member", goos: "windows", policy: Policy{InstallGroup: "installers"},
			peer: Peer{UID: "S-1-5-21-1-1001", Groups: []string{"S-1-5-32-545", "S-1-5-21-1-2000"}}, user: "ADA", can: true},
		{name: "windows user", goos: "windows", policy: Policy{InstallGroup: "installers"},
			peer: Peer{UID: "S-1-5-21-1-1001", Groups: []string{"S-1-5-32-545"}}, user: "ADA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goos := tt.goos
			if goos == "" {
				goos = "linux"
			}
			a := newAuthorizer(tt.policy, goos, newFakeAccounts())
			c := a.caller(tt.peer, !tt.unknown)
			assert.Equal(t, tt.can, c.CanInstall)
			assert.Equal(t, tt.user, c.User)
			assert.Equal(t, tt.peer.UID, c.UID)
			assert.NotEmpty(t, c.Grant)
		})
	}
}

func TestAuthorizerCache(t *testing.T) {
	acct := newFakeAccounts()
	a := newAuthorizer(Policy{InstallGroup: "iscdesk"}, "linux", acct)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	peer := Peer{UID: "1001", GID: "1001"}
	require.False(t, a.caller(peer, true).CanInstall)
	require.False(t, a.caller(peer, true).CanInstall)
	assert.Equal(t, 1, acct.lookups, "a second request within the TTL reuses the lookup")

	acct.groups["1001"] = append(acct.groups["1001"], "990") // usermod -aG iscdesk bob
	now = now.Add(cacheTTL + time.Second)
	assert.True(t, a.caller(peer, true).CanInstall, "a new member may install once the cache expired")
	assert.Equal(t, 2, acct.lookups)
}

func TestRefusal(t *testing.T) {
	tests := []struct {
		goos   string
		policy Policy
		user   string
		want   string
	}{
		{"linux", Policy{InstallGroup: "iscdesk"}, "bob",
			`installing needs root or membership of the group "iscdesk"; ask IT: usermod -aG iscdesk bob, then log in again`},
		{"linux", Policy{InstallGroup: "iscdesk"}, "",
			`installing needs root or membership of the group "iscdesk"; ask IT: usermod -aG iscdesk USER, then log in again`},
		{"linux", Policy{}, "bob", "installing needs root; run the command with sudo"},
		{"linux", Policy{OwnerUID: "1000"}, "bob", "installing needs root or the user the agent runs as (1000); run the command with sudo"},
		{"darwin", Policy{InstallGroup: "iscdesk", OwnerUID: "501"}, "bob",
			`installing needs root, the user the agent runs as (501) or membership of the group "iscdesk"; ask IT: usermod -aG iscdesk bob, then log in again`},
		{"windows", Policy{InstallGroup: "ISCDesk Installers"}, "bob",
			`installing needs an elevated Administrator or membership of the group "ISCDesk Installers"; ask IT: net localgroup "ISCDesk Installers" bob /add, then sign in again`},
		{"windows", Policy{}, "bob", "installing needs an elevated Administrator; run the command from an elevated prompt"},
	}
	for _, tt := range tests {
		a := newAuthorizer(tt.policy, tt.goos, newFakeAccounts())
		c := a.caller(Peer{UID: "1001"}, true)
		c.User = tt.user
		assert.Equal(t, tt.want, a.refusal(c), "%s %+v", tt.goos, tt.policy)
	}
}

func TestWindowsAdmin(t *testing.T) {
	tests := []struct {
		sid    string
		groups []string
		want   bool
	}{
		{sidLocalSystem, nil, true},
		{"S-1-5-21-1-1001", []string{"S-1-5-32-545", sidAdministrators}, true},
		{"S-1-5-21-1-1001", []string{"S-1-5-32-545"}, false}, // not elevated: Administrators is deny-only, so not listed
		{"S-1-5-21-1-1001", nil, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, windowsAdmin(tt.sid, tt.groups), "%s %v", tt.sid, tt.groups)
	}
}
