// Package apisign signs HTTP requests: the calls that a desktop user makes to the API products they
// bought on the marketplace (an app code, or SDK-HMAC-SHA256 with a key and secret), and the
// marketplace's authToken on the calls it makes to a vendor's license endpoint.
//
// Every function here is pure: no clock unless one is passed in, no network.
package apisign
