package podfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRewriteMapsWholeMountPathsOnly(t *testing.T) {
	l := &Layout{Root: "/tmp/pod", mounts: []string{"/run/secrets/postgres", "/tls-secret", "/data", "/tls"}}
	tests := []struct{ in, want string }{
		{"ssl_cert_file = '/tls/tls.crt'", "ssl_cert_file = '/tmp/pod/tls/tls.crt'"},
		{"TLS_SOURCE_DIR=/tls-secret", "TLS_SOURCE_DIR=/tmp/pod/tls-secret"},
		{"\\set pw `cat /run/secrets/postgres/password`", "\\set pw `cat /tmp/pod/run/secrets/postgres/password`"},
		{"/tls /tls", "/tmp/pod/tls /tmp/pod/tls"},
		{"/var/lib/data/x", "/var/lib/data/x"},
		{"/tlsx", "/tlsx"},
		{"/data", "/tmp/pod/data"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, l.Rewrite(tt.in), tt.in)
	}
}
