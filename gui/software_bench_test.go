package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Merging, sorting and filtering the Software list of a tenant with 5,000 products.
func BenchmarkSoftwareMerge5000(b *testing.B) {
	ents := demoItems(5000)
	noJob := func(string) *apitype.Job { return nil }
	for b.Loop() {
		items := mergeSoftware(ents, nil)
		_ = filterSoftware(items, "item 04", filterAll, noJob)
	}
}

// Building the Software screen and laying out its 5,000-item list, as at start.
func BenchmarkSoftwareScreen5000(b *testing.B) {
	test.NewTempApp(b)
	u := &UI{opts: Options{DemoItems: 5000}}
	u.agentSt.jobByProduct = map[string]*apitype.Job{}
	u.marketSt.checked = true
	for b.Loop() {
		s := newSoftwareScreen(u).(*softwareScreen)
		w := test.NewWindow(s.Content())
		w.Resize(fyne.NewSize(1180, 760))
		s.Refresh()
		w.Close()
	}
}
