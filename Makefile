# nfdhcpd: build, test, demo and bench. Deno comes pinned from npm when it is not on PATH.
DENO_VERSION := 2.9.6
TOOLS := .tools
DENO := $(shell command -v deno 2>/dev/null || echo $(TOOLS)/node_modules/.bin/deno)
# What the daemon needs at run time; the tests and demo also need the clients and iptables.
RUNTIME_PACKAGES := libnetfilter-queue1
TEST_PACKAGES := iproute2 iptables nftables isc-dhcp-client udhcpc ndisc6 kmod procps util-linux systemd ferm logrotate make iputils-ping dnsmasq-base gcc libc6-dev tcpdump
# make deb and its test (tests/integration/package_test.ts); xmllint for the hooks in contrib/.
TEST_PACKAGES += debhelper lintian adduser libxml2-utils
# man(1) and groff for the man pages' test (tests/docs/man_test.ts: man --warnings).
TEST_PACKAGES += man-db groff-base
# make test-systemd: a bookworm root file system (mmdebstrap) booted by systemd-nspawn.
TEST_PACKAGES += mmdebstrap systemd-container
BENCH_PACKAGES := dnsmasq-base gcc libc6-dev libnetfilter-queue-dev
# Exactly what the daemon uses: FFI (libnetfilter_queue, libc), its config, state and log files,
# and setpriv to drop privileges. Nothing else.
PERMISSIONS := --allow-ffi --allow-read --allow-write --allow-env --allow-run=setsid --allow-sys
# A small young generation: the daemon's garbage is short-lived, and it keeps 10,000 bindings
# under 80 MB resident.
V8_FLAGS := --v8-flags=--max-semi-space-size=1
DENO_FLAGS := $(PERMISSIONS) $(V8_FLAGS)
# The daemon keeps Deno's inspector shut by running with SIGUSR1 blocked in every thread
# (src/daemon/inspector_guard.ts); started without, it blocks it and re-executes itself, a second
# Deno start-up. The launcher starts it with the signal blocked already (coreutils' env).
BLOCK_SIGUSR1 := env --block-signal=USR1
BUNDLE := bin/nfdhcpd.js
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deno deps test unit integration check lint fmt bundle build demo bench bench-quick clean install launcher deb test-systemd

all: bundle

deno: $(DENO)

$(TOOLS)/node_modules/.bin/deno:
	@command -v npm >/dev/null || { echo "npm is needed to fetch Deno $(DENO_VERSION) (apt-get install npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) deno@$(DENO_VERSION)
	@test -x $@ || { echo "Deno $(DENO_VERSION) did not install into $(TOOLS)"; exit 1; }

# Installs the Debian packages the daemon, its tests and the demo need (only the missing ones).
deps:
	@missing=$$(for p in $(RUNTIME_PACKAGES) $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUNDLE): deno main.ts $(shell find src ffi -name '*.ts') deno.json
	@mkdir -p bin
	$(DENO) bundle --quiet -o $(BUNDLE) main.ts

bundle: $(BUNDLE)

check: deno
	$(DENO) check main.ts tests/ bench/ demo/
lint: deno
	$(DENO) lint
fmt: deno
	$(DENO) fmt

unit: deno
	$(DENO) test --allow-all --parallel $(shell find tests -name '*_test.ts' -not -path 'tests/integration/*' -not -path 'tests/systemd/*')

integration: deno deps bundle
	NFDHCPD_CMD="$(abspath $(DENO)) run $(DENO_FLAGS) $(abspath $(BUNDLE))" \
	  $(DENO) test --allow-all tests/integration/

test: deno deps bundle
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check main.ts
	NFDHCPD_CMD="$(abspath $(DENO)) run $(DENO_FLAGS) $(abspath $(BUNDLE))" \
	  $(DENO) test --allow-all --ignore=tests/systemd tests/

# The Debian package under a real systemd (tests/systemd/; root, a few minutes, not part of make
# test): make deb, then bookworm containers booted by systemd-nspawn --private-network install it,
# serve a VM inside them, reload, restart, stop, purge, and upgrade GRNET's 0.17 (a stand-in).
# The first run makes the root file system with mmdebstrap from Debian's mirror and caches it in
# /var/cache/nfdhcpd-test (NFDHCPD_TEST_CACHE=DIR; NFDHCPD_TEST_MIRROR=URL for another mirror).
test-systemd: deno deps bundle
	$(DENO) test --allow-all tests/systemd/

.PHONY: fuzz

# Mutates the captures into every parser and the dispatcher until N inputs or SECONDS pass
# (without either, until Ctrl-C); SEED=... ONLY=<input> replays one finding. make test runs a
# bounded fuzz (tests/fuzz/fuzz_test.ts).
fuzz: deno
	$(DENO) run --allow-read tests/fuzz/main.ts --seed=$(SEED) --n=$(N) --seconds=$(SECONDS) \
	  --only=$(ONLY)

.PHONY: coverage mutants

# Line and branch coverage of src/ and ffi/ by the unit tests and the deno processes they start,
# per file and per folder (every module listed, 0 % for those no unit test loads, which are
# named); lcov in bin/coverage/lcov.info. Not part of make test.
coverage: deno
	$(DENO) run --allow-all tools/coverage.ts

# Plants each bug of tools/mutants.json in a copy of the tree and runs the unit tests, then a
# seeded sample of 300 generated mutants against the unit tests that load each; fails if a listed
# one survives or the sample scores under 95 % (see tools/mutants.md). MUTANTS_ARGS=--only=TEXT
# runs some, --generated-only --again reruns the sample's survivors. Not part of make test.
mutants: deno
	$(DENO) run --allow-all tools/mutants.ts $(MUTANTS_ARGS)

# deno compile fetches its runtime (denort) unless DENORT_BIN points at one.
build: deno
	@mkdir -p bin
	$(DENO) compile $(DENO_FLAGS) --no-check=remote -o bin/nfdhcpd main.ts || { \
	  echo "deno compile failed: it downloads the Deno runtime (denort) from Deno's release server."; \
	  echo "Where that is unreachable, set DENORT_BIN=/path/to/denort (same version, $(DENO_VERSION))."; \
	  exit 1; }

demo: deno deps bundle
	NFDHCPD_CMD="$(abspath $(DENO)) run $(DENO_FLAGS) $(abspath $(BUNDLE))" \
	  $(DENO) run --allow-all demo/demo.ts

LOADGEN := bench/build/loadgen
BENCH_CMD = NFDHCPD_CMD="$(BLOCK_SIGUSR1) $(abspath $(DENO)) run $(DENO_FLAGS) $(abspath $(BUNDLE))" \
  $(DENO) run --allow-all bench/run.ts

.PHONY: bench-deps

bench-deps:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The start-up point's reference: the bundle of commit 735c40a (skipped without the git history).
REFERENCE_BUNDLE := bench/build/reference-735c40a.js
$(REFERENCE_BUNDLE): | deno
	@if git cat-file -e 735c40a 2>/dev/null; then \
	  rm -rf bench/build/ref-735c40a && mkdir -p bench/build/ref-735c40a && \
	  git archive 735c40a main.ts src ffi deno.json | tar -x -C bench/build/ref-735c40a && \
	  (cd bench/build/ref-735c40a && $(abspath $(DENO)) bundle --quiet -o ../reference-735c40a.js main.ts); \
	else echo "no commit 735c40a here: the start-up point prints the saved reference only"; fi

NFQ_RESPONDER := bench/build/nfq_responder
$(NFQ_RESPONDER): bench/nfq_responder.c | bench-deps
	@mkdir -p bench/build
	$(CC) -O2 -Wall -Wextra -o $@ bench/nfq_responder.c -lnetfilter_queue

$(LOADGEN): bench/loadgen.c | bench-deps
	@mkdir -p bench/build
	$(CC) -O2 -Wall -Wextra -o $@ bench/loadgen.c -lm

# The benchmark against dnsmasq (not part of make test); BENCH_ARGS passes options to bench/run.ts.
bench: deno deps bench-deps bundle $(LOADGEN) $(NFQ_RESPONDER) $(REFERENCE_BUNDLE)
	$(BENCH_CMD) $(BENCH_ARGS)

bench-quick: deno deps bench-deps bundle $(LOADGEN) $(NFQ_RESPONDER) $(REFERENCE_BUNDLE)
	$(BENCH_CMD) --quick $(BENCH_ARGS)

# The soak (not part of make test; root, minutes): one daemon under mixed real clients and churning
# bindings and TAPs; fails on a dead daemon, an unanswered client or VmRSS growth. SOAK_SECONDS=N.
SOAK_SECONDS ?= 180
.PHONY: soak
soak: deno deps bundle
	NFDHCPD_CMD="$(abspath $(DENO)) run $(DENO_FLAGS) $(abspath $(BUNDLE))" \
	  $(DENO) run --allow-all tests/soak/soak.ts $(SOAK_SECONDS)

clean:
	rm -rf bin bench/build

# Where `make install` puts things (DESTDIR prefixes every one, for packaging).
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib/nfdhcpd
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DATADIR ?= $(PREFIX)/share/nfdhcpd
BINARY ?= bin/nfdhcpd
STATEDIR ?= /var/lib/nfdhcpd

# The pinned Deno that the launcher runs (npm's copy, whatever `deno` is on PATH).
RUNTIME := $(TOOLS)/node_modules/.bin/deno
LAUNCHER := bin/nfdhcpd-launcher
# The daemon as `make install` and `make deb` ship it: the compiled binary when `make build` made
# one, else the launcher with the pinned Deno runtime and the bundle beside it in LIBDIR.
INSTALL_FORM = $(if $(wildcard $(BINARY)),binary,runtime)

# /usr/sbin/nfdhcpd: a shell script that starts the daemon with SIGUSR1 blocked, so that the
# inspector guard need not execute it again (a second Deno start, about 200 ms). With a compiled
# binary it runs LIBDIR/nfdhcpd; without, `deno run` of the bundle with the daemon's permissions and
# V8 flags, exactly those of `make build`. DENO_DIR=/dev/null: the daemon needs no cache, and
# nothing can be created there, even by root.
LAUNCH_CMD = $(if $(filter binary,$(INSTALL_FORM)),$(LIBDIR)/nfdhcpd,$(LIBDIR)/deno run --no-prompt $(DENO_FLAGS) $(LIBDIR)/nfdhcpd.js)
launcher:
	@mkdir -p bin
	printf '%s\n' '#!/bin/sh' \
	  '# nfdhcpd: the daemon in $(LIBDIR), SIGUSR1 blocked (generated by make launcher).' \
	  'DENO_DIR=/dev/null' 'export DENO_DIR' \
	  'exec $(BLOCK_SIGUSR1) $(LAUNCH_CMD) "$$@"' > $(LAUNCHER)
	chmod 0755 $(LAUNCHER)

# Installs the daemon (see INSTALL_FORM), its config (an existing one is kept, the new one goes
# beside it as .dist), /etc/default/nfdhcpd (options for the unit), the systemd unit (pointed at
# SBINDIR and SYSCONFDIR), the logrotate file, the firewall rules, which are only copied: load the
# ones that fit (see their comments), the binding-file hooks, the man pages and bash completion
# when the tree has them, and the binding directory (datapath).
install: launcher $(if $(wildcard $(BINARY)),,bundle $(RUNTIME))
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/nfdhcpd $(DESTDIR)$(SYSCONFDIR)/default \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/firewall \
	  $(DESTDIR)$(DATADIR)/hooks $(DESTDIR)$(STATEDIR)
	install -d $(DESTDIR)$(LIBDIR)
ifeq ($(INSTALL_FORM),binary)
	install -m 0755 $(BINARY) $(DESTDIR)$(LIBDIR)/nfdhcpd
else
	install -m 0755 $$(readlink -f $(RUNTIME)) $(DESTDIR)$(LIBDIR)/deno
	install -m 0644 $(BUNDLE) $(DESTDIR)$(LIBDIR)/nfdhcpd.js
endif
	install -m 0755 $(LAUNCHER) $(DESTDIR)$(SBINDIR)/nfdhcpd
	@for f in nfdhcpd/nfdhcpd.conf:conf/nfdhcpd.conf default/nfdhcpd:debian/nfdhcpd.default; do \
	  dest=$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}; \
	  if [ -e $$dest ]; then \
	    echo "Keeping $$dest; the shipped one is $$dest.dist"; dest=$$dest.dist; \
	  fi; \
	  echo "install -m 0644 $${f#*:} $$dest"; install -m 0644 $${f#*:} $$dest; \
	done
	sed -e 's|=/usr/local/sbin/nfdhcpd |=$(SBINDIR)/nfdhcpd |' \
	  -e 's| -c /etc/nfdhcpd/nfdhcpd.conf | -c $(SYSCONFDIR)/nfdhcpd/nfdhcpd.conf |' \
	  -e 's|^EnvironmentFile=-/etc/default/nfdhcpd$$|EnvironmentFile=-$(SYSCONFDIR)/default/nfdhcpd|' \
	  conf/nfdhcpd.service > $(DESTDIR)$(UNITDIR)/nfdhcpd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/nfdhcpd.service
	install -m 0644 conf/nfdhcpd.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/nfdhcpd
	install -m 0644 conf/nfdhcpd.rules.v4 conf/nfdhcpd.rules.v6 conf/nfdhcpd.ferm $(DESTDIR)$(DATADIR)/firewall/
	install -m 0755 conf/nfdhcpd.nft conf/nfdhcpd-limit.nft $(DESTDIR)$(DATADIR)/firewall/
	install -m 0644 contrib/binding.sh $(DESTDIR)$(DATADIR)/hooks/
	install -m 0755 contrib/ganeti-kvm-ifup contrib/libvirt-qemu contrib/opennebula-vnm \
	  $(DESTDIR)$(DATADIR)/hooks/
	@for page in $(wildcard man/*.[1-8]); do \
	  echo "install -m 0644 $$page $(DESTDIR)$(MANDIR)/man$${page##*.}/"; \
	  install -d $(DESTDIR)$(MANDIR)/man$${page##*.} && \
	  install -m 0644 $$page $(DESTDIR)$(MANDIR)/man$${page##*.}/ || exit 1; \
	done
	$(if $(wildcard completion/nfdhcpd.bash),install -d $(DESTDIR)$(BASHCOMPDIR) && \
	  install -m 0644 completion/nfdhcpd.bash $(DESTDIR)$(BASHCOMPDIR)/nfdhcpd)

VERSION = $(shell sed -n 's/^export const VERSION = "\(.*\)";$$/\1/p' src/version.ts)

# The Debian package, bin/nfdhcpd_$(VERSION)_<arch>.deb, built by debhelper (debian/) from
# `make install` (so from the compiled binary when bin/nfdhcpd exists), then checked by lintian.
deb: $(if $(wildcard $(BINARY)),,bundle $(RUNTIME))
	dpkg-checkbuilddeps
	debian/rules clean
	debian/rules binary
	lintian --fail-on error bin/nfdhcpd_$(VERSION)_$$(dpkg --print-architecture).deb
