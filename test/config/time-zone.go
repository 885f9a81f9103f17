// Command time-zone prints each name read from stdin, one a line, that Go's time.LoadLocation refuses: the
// function kube-apiserver and the CronJob controller decide a CronJob's timeZone with.
package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
	_ "time/tzdata"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if _, err := time.LoadLocation(in.Text()); err != nil {
			fmt.Println(in.Text())
		}
	}
}
