package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// childSocketEnv makes the test binary a client that calls the API at the socket it names and
// prints what it got (childReport) instead of running tests: the access test runs it as another uid.
const childSocketEnv = "ISCDESK_LOCALAPI_TEST_CHILD_SOCKET"

func TestMain(m *testing.M) {
	if sock := os.Getenv(childSocketEnv); sock != "" {
		if err := runChild(sock); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childReport is what the child saw.
type childReport struct {
	StatusCode  int            `json:"status_code"`
	Caller      apitype.Caller `json:"caller"`
	SubmitCode  int            `json:"submit_code"`
	SubmitError apitype.Error  `json:"submit_error"`
}

func runChild(sock string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := unixClient(sock)
	var rep childReport

	req, err := http.NewRequestWithContext(ctx, "GET", "http://local/v1/status", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	rep.StatusCode = resp.StatusCode
	var st apitype.Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("decoding the status: %w", err)
	}
	rep.Caller = st.Caller

	req, err = http.NewRequestWithContext(ctx, "POST", "http://local/v1/jobs", strings.NewReader(`{"action":"uninstall","product":"cadpro"}`))
	if err != nil {
		return err
	}
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	rep.SubmitCode = resp.StatusCode
	if resp.StatusCode >= 400 {
		err = json.NewDecoder(resp.Body).Decode(&rep.SubmitError)
	}
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("decoding the submit error: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}
