package apitype

import "time"

// LicenseRequest is POST /v1/licenses: put a license the marketplace issued where the installed
// product reads it, as its package says.
type LicenseRequest struct {
	Product string `json:"product"` // the installed product, by its id
	Content []byte `json:"content"` // the license file's bytes (base64 in JSON)
	SHA256  string `json:"sha256"`  // hex SHA-256 of Content, as the marketplace gave it
	// FileName names the file for a product that finds its license through an environment
	// variable; default PRODUCT.lic. A product with a license path ignores it.
	FileName string `json:"file_name,omitempty"`
}

// License is a license file the agent knows of: the answer to POST /v1/licenses and one item of
// GET /v1/licenses.
type License struct {
	Product string `json:"product"`
	Path    string `json:"path"`          // the license file
	Env     string `json:"env,omitempty"` // the variable set machine-wide to Path, for env rules
	// EnvFile is where the variable is set: a profile script, an environment.d file or the registry key.
	EnvFile  string    `json:"env_file,omitempty"`
	SHA256   string    `json:"sha256"` // of the file as it is now
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// ByAgent says the agent put this very file there (its SHA-256 is the one it wrote), and so
	// removes it when the product is uninstalled.
	ByAgent bool `json:"by_agent"`
}

// EventLicense is the type of the event that says a license was installed or removed; its
// Message says which, for people ("license installed for demo-solver").
const EventLicense = "license"
