# ticketd — `make help` lists the targets.
#
# Build output goes to build/ (or $(BUILD)): the worker binaries, ticketctl,
# libticket.a, the tests. `make asan` builds into build-asan/ with
# AddressSanitizer and UBSan and runs the tests against that build.

BUILD    ?= build
CC       ?= cc
PKGS     := libpq hiredis libcjson libcurl libqrencode openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-format-nonliteral -Werror
OPT      ?= -O2 -g
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Ilib $(PKG_CFLAGS) $(SAN)
LDFLAGS  += $(SAN)
LDLIBS   := $(PKG_LIBS) -lfcgi -lcrypt -lm -lxlsxwriter
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

TICKET_PORT      ?= 8080
TEST_PORT        ?= 18080
TEST_VAR         ?= $(abspath $(BUILD))/test-var

LIB_SRC   := $(wildcard lib/*.c)
LIB_OBJ   := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
FAMILIES  := public payment admin super_admin entrance
WORKERS   := $(FAMILIES:%=$(BUILD)/%)
TOOLS_SRC := $(wildcard tools/*.c)
TOOLS     := $(TOOLS_SRC:tools/%.c=$(BUILD)/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT      := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_SRC := $(wildcard tests/integration/t_*.c)
ITEST_LIB := $(filter-out $(ITEST_SRC),$(wildcard tests/integration/*.c))
ITEST     := $(if $(ITEST_SRC),$(BUILD)/tests/integration)

.PHONY: all help deps run test check-unit check-integration lint format asan bench clean stop

all: $(BUILD)/libticket.a $(WORKERS) $(TOOLS) $(UNIT) $(ITEST)

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
	@echo "make clean      remove build outputs"

deps:
	@bash tools/deps.sh

$(BUILD)/lib/%.o: lib/%.c lib/*.h | $(BUILD)/lib
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libticket.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/%: fcgi/%.c $(BUILD)/libticket.a lib/*.h
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) -o $@

$(BUILD)/%: tools/%.c $(BUILD)/libticket.a lib/*.h
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libticket.a lib/*.h | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libticket.a $(LDLIBS) $(CHECK_LIBS) -o $@

$(ITEST): $(ITEST_SRC) $(ITEST_LIB) $(wildcard tests/integration/*.h) $(BUILD)/libticket.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/integration $(LDFLAGS) $(ITEST_SRC) $(ITEST_LIB) \
		$(BUILD)/libticket.a $(LDLIBS) $(CHECK_LIBS) -o $@

$(BUILD)/lib $(BUILD)/tests:
	mkdir -p $@

run: deps all
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
		bash tools/stack.sh test bash tools/run-tests.sh $(abspath $(BUILD))
	@# Sanitizer reports of the workers (make asan) land in their logs.
	@if grep -l -E "AddressSanitizer|LeakSanitizer|runtime error:" $(TEST_VAR)/log/*.log; then \
		echo "sanitizer reports in the worker logs above"; exit 1; fi

test: deps all lint check-unit check-integration
	@echo "make test: all suites passed"

lint:
	@bash tools/lint.sh

format:
	clang-format -i lib/*.c lib/*.h fcgi/*.c tools/*.c tests/unit/*.c tests/integration/*.c tests/integration/*.h

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		TEST_PORT=18280 test

bench: deps all
	bash tools/bench.sh

clean:
	rm -rf build build-asan
