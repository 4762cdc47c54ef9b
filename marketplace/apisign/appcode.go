package apisign

import "net/http"

// AppCodeHeader carries the app code of a bought API product.
const AppCodeHeader = "X-Apig-AppCode"

// AppCode authorises req with the app code of a bought API product. It replaces any app code
// already set, so that a retried request carries one value only.
func AppCode(req *http.Request, code string) {
	req.Header.Set(AppCodeHeader, code)
}
