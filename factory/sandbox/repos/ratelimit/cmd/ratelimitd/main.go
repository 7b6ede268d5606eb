// Command ratelimitd is a reverse proxy that rate-limits each client.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"

	"example.com/ratelimit/config"
	"example.com/ratelimit/middleware"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:9000", "service to protect")
	limit := flag.String("limit", "100/min", "requests per client, COUNT/UNIT")
	flag.Parse()

	l, err := config.ParseLimit(*limit)
	if err != nil {
		log.Fatal(err)
	}
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	log.Fatal(http.ListenAndServe(*listen, middleware.New(l, nil).Wrap(proxy)))
}
