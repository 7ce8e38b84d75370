# labctl — build, test, run. See README.md.
#
#   make            build build/labctl
#   make test       setup (packages, Docker engine, base image), then unit
#                   and integration tests, all under ASan+UBSan
#   make run        setup, build, run the main job (module3 on 3M flights)
#
# Flags come from pkg-config; setup installs the -dev packages first, so
# targets that need them re-invoke make after setup.

PKGS     := libcurl yaml-0.1 libcjson libpq libarchive libcrypto rdkafka
# Linked: all but libcurl, libpq, libarchive and librdkafka, which
# labctl/lazy/ dlopen()s on first use (their headers still come from PKGS'
# --cflags).
LINK_PKGS := yaml-0.1 libcjson libcrypto
CC       ?= cc
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS)) -ldl -lpthread
OPT      ?= -O2 -g
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC      := $(shell find labctl -name '*.c' | sort)
LIBSRC   := $(filter-out labctl/main.c,$(SRC))
UNIT     := $(sort $(wildcard tests/unit/*.c))
INTEG    := $(sort $(wildcard tests/integration/*.c))

OBJ      := $(SRC:%.c=build/obj/%.o)
ASAN_OBJ := $(SRC:%.c=build/asan-obj/%.o)
ASAN_LIB := $(LIBSRC:%.c=build/asan-obj/%.o)

.PHONY: all asan setup test check unit integration run clean compose

all: build/labctl

build/obj/%.o: %.c $(wildcard labctl/*/*.h labctl/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -c $< -o $@

build/asan-obj/%.o: %.c $(wildcard labctl/*/*.h labctl/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -c $< -o $@

build/labctl: $(OBJ)
	$(CC) $(OPT) $^ -o $@ $(PKG_LIBS)

asan: build/asan/labctl
build/asan/labctl: $(ASAN_OBJ)
	@mkdir -p build/asan
	$(CC) $(SAN) $^ -o $@ $(PKG_LIBS)

build/asan/unit-tests: $(UNIT) $(ASAN_LIB)
	@mkdir -p build/asan
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) $(UNIT) $(ASAN_LIB) -o $@ $(PKG_LIBS) -lcriterion

build/asan/integration-tests: $(INTEG) tests/integration/harness.h
	@mkdir -p build/asan
	$(CC) $(CSTD) $(WARN) -O1 -g $(INTEG) -o $@ -lcriterion

setup:
	scripts/setup.sh

# The README's test command: set the machine up, then run everything.
test: setup
	$(MAKE) check

check: unit integration

unit: build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 build/asan/unit-tests --jobs 2

# Integration tests drive the sanitizer build of the real binary against
# the real engine; each test uses its own lab name and removes it after.
integration: build/asan/labctl build/labctl build/asan/integration-tests
	LABCTL=$(CURDIR)/build/asan/labctl LABCTL_REPO=$(CURDIR) ASAN_OPTIONS=detect_leaks=1 \
	  LABCTL_DATA_DIR=$(abspath $(CURDIR)/../shared/data) \
	  build/asan/integration-tests --jobs 1 --timeout 600

# The README's run command: set up, build, then the main job: module3 on
# all 3,000,000 flights (scripts/main.sh).
run: setup
	$(MAKE) build/labctl
	scripts/main.sh

# compose/<lab>/docker-compose.yml: `labctl export compose` of every lab
# (an integration test fails when one is stale).
compose: build/labctl
	scripts/export-compose.sh

clean:
	rm -rf build
