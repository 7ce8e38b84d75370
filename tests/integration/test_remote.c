/* DOCKER_HOST=tcp://: the engine's socket fronted by socat on loopback,
 * plain and with TLS (client certificate required, CA verified), so the
 * tcp and TLS paths of the engine client run against the real daemon.
 * socat runs with -t 30: after one direction ends (exec's stdin) it keeps
 * the other open for the output (its default is 0.5 s). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct front {
	char dir[128];
	int port;
	char pid[32];
};

/* Start socat on 127.0.0.1:<free port> forwarding to the local socket. */
static void front_start(struct front *f, int tls)
{
	char tmpl[] = "/tmp/labctl-tls-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	snprintf(f->dir, sizeof(f->dir), "%s", tmpl);
	char *port = it_sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
			   "print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-40000 -n 1");
	f->port = atoi(port);
	free(port);
	struct it_run r;
	if (tls) {
		/* a CA, a server certificate for 127.0.0.1, a client certificate */
		it_run(&r,
		       "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=labctl-test-ca "
		       "-keyout ca-key.pem -out ca.pem && "
		       "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr && "
		       "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
		       "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 "
		       "-extfile ext.cnf -out server.pem && "
		       "openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout key.pem -out client.csr && "
		       "printf 'extendedKeyUsage=clientAuth\\n' > client.cnf && "
		       "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 "
		       "-extfile client.cnf -out cert.pem",
		       f->dir);
		cr_assert_eq(r.status, 0, "openssl: %s", r.err);
		it_run_free(&r);
		it_run(&r,
		       "cd %s && (socat -t 30 OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=server.pem,"
		       "key=server-key.pem,cafile=ca.pem,verify=1 UNIX-CONNECT:/var/run/docker.sock "
		       ">/dev/null 2>&1 & echo $!)",
		       f->dir, f->port);
	} else {
		it_run(&r,
		       "(socat -t 30 TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:/var/run/docker.sock "
		       ">/dev/null 2>&1 & echo $!)",
		       f->port);
	}
	snprintf(f->pid, sizeof(f->pid), "%d", atoi(r.out));
	it_run_free(&r);
	/* wait for the listener */
	it_run(&r, "bash -c 'for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null && exit 0; "
		   "sleep 0.05; done; exit 1'",
	       f->port);
	cr_assert_eq(r.status, 0, "socat did not listen on %d", f->port);
	it_run_free(&r);
}

static void front_stop(struct front *f)
{
	struct it_run r;
	it_run(&r, "kill %s; rm -rf %s", f->pid, f->dir);
	it_run_free(&r);
}

static const char *tiny = "services:\n"
			  "  one:\n"
			  "    image: debian:bookworm-slim\n"
			  "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo via-tcp; sleep infinity & wait\"]\n"
			  "    x-ready: { log: via-tcp }\n";

Test(remote, plain_tcp_engine)
{
	struct front f;
	front_start(&f, 0);
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "tcp", tiny);
	it_run(&r, "DOCKER_HOST=tcp://127.0.0.1:%d LABCTL_STATE_DIR=%s %s up %s", f.port, lab.state, it_labctl(),
	       lab.dir);
	cr_expect_eq(r.status, 0, "up over tcp: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 1);
	it_run(&r, "DOCKER_HOST=tcp://127.0.0.1:%d %s version", f.port, it_labctl());
	cr_expect(strstr(r.out, "engine: tcp://127.0.0.1:"), "%s", r.out);
	it_run_free(&r);
	/* exec's hijacked connection over tcp: stdin, its end, the exit code */
	it_run(&r, "printf 'a\\nb\\n' | DOCKER_HOST=tcp://127.0.0.1:%d LABCTL_STATE_DIR=%s %s exec %s one -- sh -c 'wc -l; exit 5'",
	       f.port, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 5, "%s", r.err);
	cr_expect_str_eq(r.out, "2\n", "%s", r.err);
	it_run_free(&r);
	front_stop(&f);
	it_lab_cleanup(&lab);
}

Test(remote, tls_engine_with_client_certificate)
{
	struct front f;
	front_start(&f, 1);
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "tls", tiny);
	it_run(&r,
	       "DOCKER_HOST=tcp://127.0.0.1:%d DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s LABCTL_STATE_DIR=%s %s up %s",
	       f.port, f.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "up over TLS: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 1);
	/* exec over TLS: stdin both ways at once, then its end (a half-close of
	   the TCP connection under TLS), the exit code */
	it_run(&r,
	       "seq 1 100000 | DOCKER_HOST=tcp://127.0.0.1:%d DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s LABCTL_STATE_DIR=%s "
	       "%s exec %s one -- sh -c 'cat; exit 6' | sed -n '1p;$p;$='",
	       f.port, f.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(r.out, "1\n100000\n100000\n", "every line back over TLS: %s", r.err);
	it_run_free(&r);
	it_run(&r,
	       "printf 'x\\n' | DOCKER_HOST=tcp://127.0.0.1:%d DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s LABCTL_STATE_DIR=%s "
	       "%s exec %s one -- sh -c 'wc -l; exit 6'",
	       f.port, f.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 6, "%s", r.err);
	cr_expect_str_eq(r.out, "1\n", "%s", r.err);
	it_run_free(&r);
	it_run(&r, "DOCKER_HOST=tcp://127.0.0.1:%d DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s %s down %s", f.port, f.dir,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "down over TLS: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 0);

	/* without the client certificate the server refuses: exit 3, named address */
	it_run(&r, "mkdir -p %s/noclient && cp %s/ca.pem %s/noclient/ && DOCKER_HOST=tcp://127.0.0.1:%d "
		   "DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s/noclient %s status %s",
	       f.dir, f.dir, f.dir, f.port, f.dir, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 3, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "127.0.0.1"), "%s", r.err);
	it_run_free(&r);
	/* a CA that did not sign the server: verification fails */
	it_run(&r, "d=%s/otherca; mkdir -p $d && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		   "-subj /CN=other -keyout $d/k.pem -out $d/ca.pem 2>/dev/null && cp %s/cert.pem %s/key.pem $d/ && "
		   "DOCKER_HOST=tcp://127.0.0.1:%d DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$d %s status %s",
	       f.dir, f.dir, f.dir, f.port, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 3, "exit %d: %s", r.status, r.err);
	it_run_free(&r);
	front_stop(&f);
	it_lab_cleanup(&lab);
}
