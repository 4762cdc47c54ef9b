package localapi

import (
	"context"
	"fmt"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Policy says who may change things (create and cancel jobs). Everyone who can connect may read.
type Policy struct {
	// InstallGroup names the group whose members may install: a unix group, or a local Windows group.
	// Empty: only root / Administrators (and OwnerUID) may.
	InstallGroup string
	// OwnerUID is the uid (SID on Windows) the agent runs as in --user mode: that user may install.
	OwnerUID string
}

// Peer is the process on the other end of a connection, as the OS reports it.
type Peer struct {
	UID   string // numeric uid on unix; the user's SID on Windows
	GID   string // unix: the process's effective gid
	PID   int
	Admin bool // uid 0; on Windows LocalSystem or an elevated member of Administrators
	// Groups the process is in, where the OS reports them: the enabled group SIDs of a Windows
	// token, the groups of a darwin xucred. On linux the groups are looked up by uid.
	Groups []string
	// Trusted is set where the OS gives no peer credentials: the socket's mode then decides who
	// can connect at all, and whoever can connect may install.
	Trusted bool
}

type peerKey struct{}

// withPeer returns ctx carrying the caller's identity.
func withPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// PeerFromContext returns the identity of the caller whose request ctx belongs to, if the server
// learnt it from the OS.
func PeerFromContext(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// accounts looks up users and groups; the OS implementation is osAccounts, tests use a fake.
type accounts interface {
	userName(uid string) (string, error)
	userGroups(uid string) ([]string, error) // group ids (gid, or SID on Windows)
	groupID(name string) (string, error)
}

type osAccounts struct{}

func (osAccounts) userName(uid string) (string, error) {
	u, err := user.LookupId(uid)
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

func (osAccounts) userGroups(uid string) ([]string, error) {
	u, err := user.LookupId(uid)
	if err != nil {
		return nil, err
	}
	return u.GroupIds()
}

func (osAccounts) groupID(name string) (string, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

// cacheTTL bounds how long a lookup is reused: long enough that a burst of requests reads
// /etc/group once, short enough that "usermod -aG" takes effect without restarting the agent.
const cacheTTL = 30 * time.Second

type cached struct {
	name    string
	groups  []string
	err     error
	expires time.Time
}

// authorizer turns a Peer into an apitype.Caller under a Policy.
type authorizer struct {
	policy Policy
	goos   string
	acct   accounts
	now    func() time.Time

	mu    sync.Mutex // guards cache
	cache map[string]cached
}

func newAuthorizer(p Policy, goos string, acct accounts) *authorizer {
	return &authorizer{policy: p, goos: goos, acct: acct, now: time.Now, cache: map[string]cached{}}
}

// lookup runs fn for key at most once per cacheTTL.
func (a *authorizer) lookup(key string, fn func() cached) cached {
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[key]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c
	}
	c = fn()
	c.expires = now.Add(cacheTTL)
	a.mu.Lock()
	a.cache[key] = c
	a.mu.Unlock()
	return c
}

// caller says who p is and whether it may install.
func (a *authorizer) caller(p Peer, known bool) apitype.Caller {
	c := apitype.Caller{Grant: a.grant()}
	if !known {
		c.User = "unknown (the OS did not say who is calling)"
		return c
	}
	c.UID = p.UID
	if p.UID != "" {
		u := a.lookup("user:"+p.UID, func() cached {
			name, err := a.acct.userName(p.UID)
			groups, gerr := a.acct.userGroups(p.UID)
			if err == nil {
				err = gerr
			}
			return cached{name: name, groups: groups, err: err}
		})
		c.User = u.name
		c.CanInstall = p.Admin || p.Trusted ||
			(a.policy.OwnerUID != "" && p.UID == a.policy.OwnerUID) ||
			a.inGroup(p, u.groups)
		return c
	}
	c.CanInstall = p.Admin || p.Trusted
	return c
}

// inGroup reports whether p, or the user p runs as, is in the install group.
func (a *authorizer) inGroup(p Peer, userGroups []string) bool {
	if a.policy.InstallGroup == "" {
		return false
	}
	g := a.lookup("group:"+a.policy.InstallGroup, func() cached {
		id, err := a.acct.groupID(a.policy.InstallGroup)
		return cached{name: id, err: err}
	})
	if g.err != nil || g.name == "" {
		return false // a group that does not exist grants nothing
	}
	return g.name == p.GID || slices.Contains(p.Groups, g.name) || slices.Contains(userGroups, g.name)
}

// grant names what gives install rights, for apitype.Caller.Grant.
func (a *authorizer) grant() string {
	admin := "root"
	if a.goos == "windows" {
		admin = "an elevated Administrator"
	}
	parts := []string{admin}
	if a.policy.OwnerUID != "" {
		parts = append(parts, fmt.Sprintf("the user the agent runs as (%s)", a.policy.OwnerUID))
	}
	if a.policy.InstallGroup != "" {
		parts = append(parts, fmt.Sprintf("membership of the group %q", a.policy.InstallGroup))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// refusal is the text of the 403 for a caller that may not install: what grants it and how to get it.
func (a *authorizer) refusal(c apitype.Caller) string {
	who := c.User
	if who == "" {
		who = "USER"
	}
	msg := "installing needs " + a.grant()
	switch {
	case a.policy.InstallGroup != "" && a.goos == "windows":
		return fmt.Sprintf("%s; ask IT: net localgroup %s %s /add, then sign in again", msg, arg(a.policy.InstallGroup), arg(who))
	case a.policy.InstallGroup != "":
		return fmt.Sprintf("%s; ask IT: usermod -aG %s %s, then log in again", msg, arg(a.policy.InstallGroup), arg(who))
	case a.goos == "windows":
		return msg + "; run the command from an elevated prompt"
	default:
		return msg + "; run the command with sudo"
	}
}

// arg quotes s for a command line when it holds spaces or quotes (Windows group names often do).
func arg(s string) string {
	if strings.ContainsAny(s, " \t\"'") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// Well-known Windows SIDs: LocalSystem and the Administrators group.
const (
	sidLocalSystem    = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

// windowsAdmin reports whether a token with user SID sid and enabled groups groups is an
// administrator. A non-elevated admin's token has Administrators only as deny-only (not enabled),
// so it is not one: UAC decides, as it does for every other installer.
func windowsAdmin(sid string, enabledGroups []string) bool {
	return sid == sidLocalSystem || slices.Contains(enabledGroups, sidAdministrators)
}
