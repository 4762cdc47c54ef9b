package server

// The core schema. Every row a tenant owns carries tenant_id, and every query of such a table
// filters on the caller's tenant. Times are Unix milliseconds (UTC). Ids are short random strings
// with a kind prefix ("ord_…"), see newID.
func init() {
	migrations = append(migrations,
		Migration{Version: 1, Name: "tenants and users", SQL: `
CREATE TABLE tenants (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE users (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL CHECK (role IN ('engineer', 'admin')),
	password_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX users_tenant ON users(tenant_id);
CREATE TABLE vendors (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	access_key TEXT NOT NULL UNIQUE,
	secret TEXT NOT NULL,
	created_at INTEGER NOT NULL
)`},
		Migration{Version: 2, Name: "oauth codes and tokens", SQL: `
CREATE TABLE oauth_codes (
	hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id),
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	challenge TEXT NOT NULL,
	family TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER
);
CREATE TABLE tokens (
	hash TEXT PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
	family TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users(id),
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	client_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX tokens_family ON tokens(family)`},
		Migration{Version: 3, Name: "catalog", SQL: `
CREATE TABLE products (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	publisher TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	vendor_id TEXT REFERENCES vendors(id),
	created_at INTEGER NOT NULL
);
CREATE TABLE releases (
	id TEXT PRIMARY KEY,
	product_id TEXT NOT NULL REFERENCES products(id),
	version TEXT NOT NULL,
	platform TEXT NOT NULL,
	file TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	manifest_sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (product_id, version, platform)
)`},
		Migration{Version: 4, Name: "orders and entitlements", SQL: `
CREATE TABLE orders (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	kind TEXT NOT NULL CHECK (kind IN ('software', 'license', 'image', 'hardware', 'api_package')),
	state TEXT NOT NULL CHECK (state IN ('pending_payment', 'paid', 'delivering', 'delivered', 'cancelled', 'refunding', 'refunded')),
	product_id TEXT REFERENCES products(id),
	title TEXT NOT NULL,
	amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
	currency TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX orders_tenant_created ON orders(tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_tenant_kind ON orders(tenant_id, kind, created_at DESC, id DESC);
CREATE INDEX orders_tenant_state ON orders(tenant_id, state, created_at DESC, id DESC);
CREATE TABLE entitlements (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	product_id TEXT NOT NULL REFERENCES products(id),
	order_id TEXT REFERENCES orders(id),
	granted_at INTEGER NOT NULL,
	expires_at INTEGER,
	UNIQUE (tenant_id, product_id)
);
CREATE INDEX entitlements_tenant_id ON entitlements(tenant_id, id)`},
		Migration{Version: 5, Name: "notifications and idempotency", SQL: `
CREATE TABLE notifications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	ref TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(tenant_id, user_id, id);
CREATE TABLE idempotency (
	user_id TEXT NOT NULL,
	key TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	body_sha256 TEXT NOT NULL,
	status INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	body BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, key)
)`},
	)
}
