package gui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// swItem is one row of the Software screen: a product the tenant owns, what the agent has
// installed, or both.
type swItem struct {
	ID, Name, Publisher string
	Owned               bool       // the tenant holds an entitlement
	Expires             *time.Time // of the entitlement, if it ends
	Installed           *apitype.Software
}

// installed reports whether detection finds the product on this computer.
func (it *swItem) installed() bool { return it.Installed != nil && it.Installed.Detected }

// known reports whether the agent holds the product in its inventory, found or not.
func (it *swItem) known() bool {
	return it.Installed != nil && (it.Installed.Detected || it.Installed.Version != "")
}

// mergeSoftware joins the entitlements and the agent's inventory by product id, sorted by name.
func mergeSoftware(ents []api.Entitlement, inv []apitype.Software) []swItem {
	byID := make(map[string]int, len(ents)+len(inv))
	items := make([]swItem, 0, len(ents)+len(inv))
	for _, e := range ents {
		if _, dup := byID[e.Product]; dup {
			continue
		}
		byID[e.Product] = len(items)
		items = append(items, swItem{ID: e.Product, Name: cmp.Or(e.Name, e.Product), Publisher: e.Publisher, Owned: true, Expires: e.ExpiresAt})
	}
	for i := range inv {
		sw := &inv[i]
		if k, ok := byID[sw.ID]; ok {
			items[k].Installed = sw
			continue
		}
		byID[sw.ID] = len(items)
		items = append(items, swItem{ID: sw.ID, Name: cmp.Or(sw.Name, sw.ID), Publisher: sw.Publisher, Installed: sw})
	}
	slices.SortFunc(items, func(a, b swItem) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return items
}

// swFilter narrows the Software list.
type swFilter string

const (
	filterAll          swFilter = "All software"
	filterInstalled    swFilter = "Installed"
	filterNotInstalled swFilter = "Not installed"
	filterActive       swFilter = "In progress"
	filterAttention    swFilter = "Needs attention"
)

var swFilters = []string{string(filterAll), string(filterInstalled), string(filterNotInstalled), string(filterActive), string(filterAttention)}

// filterSoftware returns the indexes of the items that match the search text q (in the name,
// id or publisher, any case) and the filter f.
func filterSoftware(items []swItem, q string, f swFilter, jobOf func(string) *apitype.Job) []int {
	q = strings.ToLower(strings.TrimSpace(q))
	out := make([]int, 0, len(items))
	for i := range items {
		it := &items[i]
		if q != "" && !strings.Contains(strings.ToLower(it.Name), q) && !strings.Contains(it.ID, q) &&
			!strings.Contains(strings.ToLower(it.Publisher), q) {
			continue
		}
		if matchesFilter(it, jobOf(it.ID), f) {
			out = append(out, i)
		}
	}
	return out
}

func matchesFilter(it *swItem, j *apitype.Job, f swFilter) bool {
	switch f {
	case filterInstalled:
		return it.installed()
	case filterNotInstalled:
		return !it.installed()
	case filterActive:
		return j != nil && !j.Final()
	case filterAttention:
		_, kind := itemStatus(it, j)
		return kind == statusAttention
	}
	return true
}

// statusKind colours a status line.
type statusKind int

const (
	statusNone      statusKind = iota // not installed
	statusOK                          // installed
	statusBusy                        // a job runs
	statusAttention                   // failed, missing, or waiting for a restart
)

// itemStatus is the one line that says where a product stands on this computer.
func itemStatus(it *swItem, j *apitype.Job) (string, statusKind) {
	if j != nil && !j.Final() {
		return actionWord(j.Action) + ": " + progressText(j), statusBusy
	}
	if j != nil && j.State == apitype.StateFailed && (it.Installed == nil || !j.Updated.Before(it.Installed.InstalledAt)) {
		return outcomeText(j), statusAttention
	}
	sw := it.Installed
	switch {
	case it.installed():
		s := "Installed " + cmp.Or(sw.DetectedVersion, sw.Version)
		if sw.RebootRequired || (j != nil && j.State == apitype.StateDone && j.RebootRequired && j.Action != apitype.ActionUninstall) {
			return s + " · restart the computer to finish", statusAttention
		}
		return s, statusOK
	case it.known():
		return fmt.Sprintf("Installed %s but not found on this computer: %s", sw.Version, cmp.Or(sw.Detail, "detection fails")), statusAttention
	case !it.Owned:
		return "Not installed; not owned by your organisation", statusNone
	}
	return "Not installed", statusNone
}

// actions says which buttons a product offers.
type actions struct {
	install, uninstall, repair, overwrite, cancel, log bool
}

func itemActions(it *swItem, j *apitype.Job, agentUp bool) actions {
	running := j != nil && !j.Final()
	idle := agentUp && !running
	return actions{
		install:   idle && it.Owned && !it.known(),
		uninstall: idle && it.known(),
		repair:    idle && it.known(),
		overwrite: idle && it.Owned && it.known(),
		cancel:    agentUp && running,
		log:       agentUp && j != nil,
	}
}

// demoItems makes n made-up entitlements, for the 5,000-item benchmark.
func demoItems(n int) []api.Entitlement {
	out := make([]api.Entitlement, n)
	for i := range out {
		out[i] = api.Entitlement{
			ID: fmt.Sprintf("demo-ent-%05d", i), Product: fmt.Sprintf("demo-item-%05d", i),
			Name: fmt.Sprintf("Demo Item %05d", i), Publisher: "Demo Publisher",
		}
	}
	return out
}
