package localapi

import "io/fs"

// ListenOptions tune Listen.
type ListenOptions struct {
	// Group owns the socket where the OS gives no peer credentials (the socket is then 0660, or
	// 0600 without a group). Unused on linux, darwin and Windows.
	Group string
	// Mode overrides the socket's file mode (unix only); 0 keeps the default: 0666 where callers are
	// identified per request, else 0660/0600.
	Mode fs.FileMode
}
