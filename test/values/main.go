// Command values judges registry values as the programs that consume them do, one JSON object
// {"kind","value"} a line on stdin, printing true or false a line: label keys and values as the API
// server validates them, an Ingress host as the API server validates an Ingress rule's host, an image
// reference as container runtimes parse it (distribution/reference ParseNormalizedNamed), and a time
// zone as kube-apiserver and the CronJob controller load it (time.LoadLocation, with the tz database
// they embed).
package main

import (
	"bufio"
	_ "crypto/sha256" // the digest algorithm, which runtimes link
	"encoding/json"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // kube-apiserver and kube-controller-manager embed it

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/validate/content"
	netutils "k8s.io/utils/net"
)

func valid(kind, value string) (bool, error) {
	switch kind {
	case "labelKey":
		return len(content.IsLabelKey(value)) == 0, nil
	case "labelValue":
		return len(content.IsLabelValue(value)) == 0, nil
	case "ingressHost":
		// pkg/apis/networking/validation validateIngressRules: not an IP, a DNS subdomain (no wildcard here).
		return netutils.ParseIPSloppy(value) == nil && len(content.IsDNS1123Subdomain(value)) == 0, nil
	case "timeZone":
		_, err := time.LoadLocation(value)
		return err == nil, nil
	case "image":
		_, err := reference.ParseNormalizedNamed(value)
		return err == nil, nil
	}
	return false, fmt.Errorf("unknown kind %q", kind)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var q struct{ Kind, Value string }
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			fmt.Fprintln(os.Stderr, "values:", err)
			os.Exit(2)
		}
		ok, err := valid(q.Kind, q.Value)
		if err != nil {
			fmt.Fprintln(os.Stderr, "values:", err)
			os.Exit(2)
		}
		fmt.Println(ok)
	}
}
