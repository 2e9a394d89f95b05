# ticketd — `make help` lists the targets.
#
# Build output goes to build/ (or $(BUILD)): the worker binaries, ticketctl,
# libticket.a, the tests. `make asan` builds into build-asan/ with
# AddressSanitizer and UBSan and runs the tests against that build.

BUILD    ?= build
CC       ?= cc
PKGS     := libpq hiredis libcjson libcurl libqrencode openssl
# Recursively expanded (=, not :=) and cached on first use: make reads the
# Makefile before `deps` has installed the -dev packages, so flags read at
# parse time would be empty on a new machine. The build recipes run after
# deps (run/test/bench invoke a sub-make once deps is done), so the first
# expansion happens with the packages present.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-format-nonliteral -Werror
OPT      ?= -O2 -g
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Ilib $(PKG_CFLAGS) $(SAN)
LDFLAGS  += $(SAN)
LDLIBS   = $(PKG_LIBS) -lfcgi -lcrypt -lm -lxlsxwriter
CHECK_LIBS = $(eval CHECK_LIBS := $$(shell pkg-config --libs check))$(CHECK_LIBS)

TICKET_PORT      ?= 8080
TEST_PORT        ?= 18080
TEST_VAR         ?= $(abspath $(BUILD))/test-var

LIB_SRC   := $(wildcard lib/*.c)
LIB_OBJ   := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
FAMILIES  := public payment admin super_admin entrance
WORKERS   := $(FAMILIES:%=$(BUILD)/%)
TOOLS_SRC := $(filter-out tools/fake_core.c,$(wildcard tools/*.c))
TOOLS     := $(TOOLS_SRC:tools/%.c=$(BUILD)/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT      := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_SRC := $(wildcard tests/integration/t_*.c)
ITEST_LIB := $(filter-out $(ITEST_SRC),$(wildcard tests/integration/*.c))
ITEST     := $(if $(ITEST_SRC),$(BUILD)/tests/integration)

.PHONY: fresh-check all help deps run test check-unit check-integration check-browser lint format asan bench clean stop

# Third-party browser code, from npm (package-lock.json), served by nginx at
# /vendor/ from the build output: never copied into public/, never a CDN.
NODE_STAMP := node_modules/.package-lock.json
VENDOR_FILES := qr-scanner/qr-scanner.min.js qr-scanner/qr-scanner-worker.min.js \
                @noble/ed25519/index.js:noble-ed25519.js uplot/dist/uPlot.esm.js uplot/dist/uPlot.min.css
VENDOR := $(foreach f,$(VENDOR_FILES),$(BUILD)/vendor/$(notdir $(lastword $(subst :, ,$(f)))))

all: $(BUILD)/libticket.a $(WORKERS) $(TOOLS) $(UNIT) $(ITEST) $(VENDOR)

help:
	@echo "make            build everything into $(BUILD)/"
	@echo "make run        install missing packages, build, start the stack (TICKET_PORT, TICKET_VAR)"
	@echo "make test       the same on its own port and state dir, then every test suite"
	@echo "make check-unit run the Check unit tests only"
	@echo "make lint       clang-format check and cppcheck"
	@echo "make format     rewrite sources with clang-format"
	@echo "make asan       build with ASan+UBSan into build-asan/ and run the tests"
	@echo "make bench      start the stack and measure (writes BENCHMARKS.md)"
	@echo "make stop       stop a stack left running under TICKET_VAR"
	@echo "make fresh-check  make test on a new Debian 12 root (debootstrap, chroot; slow)"
	@echo "make install    install into DESTDIR/PREFIX (see systemd/README.md)"
	@echo "make clean      remove build outputs"

# Debian packages, then the npm packages of package-lock.json.
deps:
	@bash tools/deps.sh
	@$(MAKE) --no-print-directory $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR): $(NODE_STAMP) | $(BUILD)/vendor
	@set -e; for f in $(VENDOR_FILES); do src=$${f%%:*}; dst=$${f##*:}; \
		cp node_modules/$$src $(BUILD)/vendor/$$(basename $$dst); done

$(BUILD)/lib/%.o: lib/%.c lib/*.h | $(BUILD)/lib
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libticket.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/%: fcgi/%.c $(BUILD)/libticket.a lib/*.h
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) -o $@

$(BUILD)/%: tools/%.c $(BUILD)/libticket.a lib/*.h
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) -o $@

# The fakes share tools/fake_core.c (helpers, state files, fault knobs).
$(BUILD)/fake_%: tools/fake_%.c tools/fake_core.c tools/fake_core.h $(BUILD)/libticket.a lib/*.h
	$(CC) $(CFLAGS) -Itools $(LDFLAGS) $< tools/fake_core.c $(BUILD)/libticket.a $(LDLIBS) -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libticket.a lib/*.h | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) $(CHECK_LIBS) -o $@

$(ITEST): $(ITEST_SRC) $(ITEST_LIB) $(wildcard tests/integration/*.h) $(BUILD)/libticket.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/integration $(LDFLAGS) $(ITEST_SRC) $(ITEST_LIB) \
		$(BUILD)/libticket.a $(LDLIBS) $(CHECK_LIBS) -o $@

$(BUILD)/lib $(BUILD)/tests $(BUILD)/vendor:
	mkdir -p $@

# run, test and bench install what is missing first, then build in a new
# make: that one reads pkg-config with the -dev packages present.
run: deps
	@$(MAKE) --no-print-directory all
	TICKET_PORT=$(TICKET_PORT) TICKET_BUILD=$(abspath $(BUILD)) TICKET_WORKER_DAEMON=$${TICKET_WORKER_DAEMON:-1} \
		bash tools/stack.sh run

stop:
	TICKET_BUILD=$(abspath $(BUILD)) bash tools/stack.sh stop

check-unit: $(UNIT)
	@failed=""; for t in $(UNIT); do echo "== $$t"; CK_FORK=yes $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

# The integration suite runs against a stack of its own (port TEST_PORT,
# state in TEST_VAR), started fresh and stopped afterwards.
check-integration: all
	rm -rf $(TEST_VAR)
	TICKET_VAR=$(TEST_VAR) TICKET_PORT=$(TEST_PORT) TICKET_BUILD=$(abspath $(BUILD)) \
		bash tools/stack.sh test bash tools/test-suites.sh $(abspath $(BUILD))
	@# Sanitizer reports of the workers (make asan) land in their logs.
	@if grep -l -E "AddressSanitizer|LeakSanitizer|runtime error:" $(TEST_VAR)/log/*.log; then \
		echo "sanitizer reports in the worker logs above"; exit 1; fi

test: deps
	@$(MAKE) --no-print-directory all lint check-unit check-install check-integration
	@echo "make test: all suites passed"

lint:
	@bash tools/lint.sh

format:
	clang-format -i lib/*.c lib/*.h fcgi/*.c tools/*.c tests/unit/*.c tests/integration/*.c tests/integration/*.h

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		TEST_PORT=18280 test

bench: deps
	@$(MAKE) --no-print-directory all
	bash tools/bench.sh

# ---- install: the layout systemd/README.md describes ----
# PREFIX (default /usr/local) and DESTDIR (a staging root for packaging and
# the test). The units and the nginx server block name PREFIX's paths; they
# are rewritten when PREFIX is not /usr/local. Secrets (/etc/ticketd/env)
# are the sysadmin's: make install never writes them.
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
I_LIB   = $(DESTDIR)$(PREFIX)/lib/ticketd
I_BIN   = $(DESTDIR)$(PREFIX)/bin
I_SHARE = $(DESTDIR)$(PREFIX)/share/ticketd
I_DOC   = $(DESTDIR)$(PREFIX)/share/doc/ticketd
I_UNITS = $(DESTDIR)$(SYSCONFDIR)/systemd/system
I_SYSCTL = $(DESTDIR)$(SYSCONFDIR)/sysctl.d
UNITS   := $(wildcard systemd/*.service systemd/*.target)
RUNTIME_DIRS := public sql templates
FIX_PREFIX = sed -e 's|/usr/local/|$(PREFIX)/|g'

.PHONY: install check-install
install: all
	install -d -m 0755 $(I_LIB) $(I_BIN) $(I_SHARE) $(I_DOC)/systemd $(I_DOC)/nginx \
		$(I_UNITS) $(I_SYSCTL)
	install -m 0755 $(WORKERS) $(I_LIB)/
	install -m 0755 $(BUILD)/ticketctl $(I_BIN)/ticketctl
	@set -e; for d in $(RUNTIME_DIRS); do \
		[ -d $$d ] || continue; rm -rf $(I_SHARE)/$$d; \
		find $$d -type d -exec install -d -m 0755 $(I_SHARE)/{} \; ; \
		find $$d -type f -exec install -m 0644 {} $(I_SHARE)/{} \; ; \
	done
	install -d -m 0755 $(I_SHARE)/public/vendor
	install -m 0644 $(VENDOR) $(I_SHARE)/public/vendor/
	@set -e; for u in $(UNITS); do \
		$(FIX_PREFIX) $$u > $(I_UNITS)/$$(basename $$u); chmod 0644 $(I_UNITS)/$$(basename $$u); done
	install -m 0644 systemd/99-ticketd.conf $(I_SYSCTL)/99-ticketd.conf
	install -m 0644 systemd/README.md $(I_DOC)/systemd/README.md
	install -m 0644 nginx/README.md $(I_DOC)/nginx/README.md
	$(FIX_PREFIX) nginx/ticketd.conf > $(I_DOC)/nginx/ticketd.conf
	install -m 0644 README.md LICENSE $(I_DOC)/
	@echo "installed into $(DESTDIR)$(PREFIX) (units in $(I_UNITS)); next: systemd/README.md"

# make install into a temporary DESTDIR (twice: PREFIX /usr/local and /opt),
# then the tree is checked file by file (tests/install/check.sh).
check-install: all
	bash tests/install/check.sh $(abspath $(BUILD))

# The first run on a new machine: a Debian 12 minbase root with only make,
# git and ca-certificates, a clone under /root, make test in a chroot.
fresh-check:
	bash tools/fresh-check.sh

clean:
	rm -rf build build-asan
