//go:build !linux

package main

import (
	"fmt"
	"runtime"
)

func pinSelf(int) (func(), error) {
	return nil, fmt.Errorf("-pin needs Linux, not %s", runtime.GOOS)
}
