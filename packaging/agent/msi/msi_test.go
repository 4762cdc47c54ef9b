package msi

import (
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProductVersion(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "1.2.3", want: "1.2.3"},
		{in: "1.2.3-rc.1", want: "1.2.3"},
		{in: "255.255.65535", want: "255.255.65535"},
		{in: "256.0.0", wantErr: "at most 255 in part 1"},
		{in: "1.0.65536", wantErr: "at most 65535 in part 3"},
		{in: "1.2", wantErr: "not MAJOR.MINOR.PATCH"},
		{in: "v1.2.3", wantErr: "not MAJOR.MINOR.PATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ProductVersion(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestWriteWXS parses the rendered source as XML and reads back what the msi depends on.
func TestWriteWXS(t *testing.T) {
	src, err := WriteWXS(Spec{Version: "2.0.1-beta.2", AgentExe: "/a/iscdesk-agent.exe", CLIExe: "/a/iscdesk.exe"})
	require.NoError(t, err)
	var doc struct {
		Product struct {
			Version     string `xml:"Version,attr"`
			UpgradeCode string `xml:"UpgradeCode,attr"`
			Package     struct {
				Description string `xml:"Description,attr"`
			}
			Properties []struct {
				ID    string `xml:"Id,attr"`
				Value string `xml:"Value,attr"`
			} `xml:"Property"`
			Components []struct {
				File struct {
					Name   string `xml:"Name,attr"`
					Source string `xml:"Source,attr"`
				}
				ServiceInstall *struct {
					Name  string `xml:"Name,attr"`
					Start string `xml:"Start,attr"`
				}
			} `xml:"Directory>Directory>Directory>Component"`
			CustomActions []struct {
				ID         string `xml:"Id,attr"`
				ExeCommand string `xml:"ExeCommand,attr"`
			} `xml:"CustomAction"`
		}
	}
	require.NoError(t, xml.Unmarshal(src, &doc), "%s", src)
	p := doc.Product
	assert.Equal(t, "2.0.1", p.Version)
	assert.Equal(t, upgradeCode, p.UpgradeCode)
	assert.Equal(t, "ISCDesk Agent 2.0.1-beta.2", p.Package.Description)
	require.Len(t, p.Components, 2)
	assert.Equal(t, agentFile, p.Components[0].File.Source, "wixl takes only relative sources")
	require.NotNil(t, p.Components[0].ServiceInstall)
	assert.Equal(t, "iscdesk-agent", p.Components[0].ServiceInstall.Name)
	commands := map[string]string{}
	for _, ca := range p.CustomActions {
		commands[ca.ID] = ca.ExeCommand
	}
	for _, prop := range Properties {
		assert.Contains(t, commands["WriteConfig"], `"[`+prop+`]"`, "each property reaches config write, quoted")
	}
	for _, pl := range placements {
		if pl.action != "RemoveExistingProducts" {
			assert.Contains(t, commands, pl.action, "every placed action is defined")
		}
	}
}
