// Command greet prints its greeting, which the tests of testenv set with -ldflags.
package main

import "fmt"

var greeting = "hello"

func main() { fmt.Println(greeting) }
