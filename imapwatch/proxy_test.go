package imapwatch

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// tcpProxy is a loopback TCP proxy in front of a server. It can black-hole
// the current connections (bytes are swallowed, sockets stay open: what a
// dead NAT entry or a pulled cable looks like), cut them (both sockets
// closed), and rewrite what the server sends, line by line.
type tcpProxy struct {
	t      *testing.T
	ln     net.Listener
	addr   string
	target string
	// rewrite, when set, is applied to each line (ending in "\n") sent by
	// the server. It must keep the length of lines inside literals.
	rewrite func([]byte) []byte

	mu      sync.Mutex
	conns   []*proxyConn // live (not black-holed)
	all     []*proxyConn // closed at cleanup
	accepts atomic.Int32
}

type proxyConn struct {
	client, server net.Conn
	dead           atomic.Bool // black-holed
}

func newTCPProxy(t *testing.T, target string, rewrite func([]byte) []byte) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, addr: ln.Addr().String(), target: target, rewrite: rewrite}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, pc := range p.all {
			pc.client.Close()
			pc.server.Close()
		}
	})
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.accepts.Add(1)
		pc := &proxyConn{client: c, server: s}
		p.mu.Lock()
		p.conns = append(p.conns, pc)
		p.all = append(p.all, pc)
		p.mu.Unlock()
		go pc.pipe(c, s, nil)
		go pc.pipe(s, c, p.rewrite)
	}
}

// pipe copies from src to dst until either fails; once the connection is
// black-holed, what is read is dropped.
func (pc *proxyConn) pipe(src, dst net.Conn, rewrite func([]byte) []byte) {
	defer src.Close()
	defer dst.Close()
	if rewrite != nil {
		r := bufio.NewReaderSize(src, 64<<10)
		for {
			line, err := r.ReadSlice('\n')
			if len(line) > 0 && !pc.dead.Load() {
				if _, werr := dst.Write(rewrite(line)); werr != nil {
					return
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return
			}
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !pc.dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// blackhole makes the current connections swallow everything, both ways,
// without closing them. New connections work normally.
func (p *tcpProxy) blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		pc.dead.Store(true)
	}
	p.conns = nil
}

// cut closes the current connections on both sides.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.conns {
		pc.client.Close()
		pc.server.Close()
	}
	p.conns = nil
}
