# citytwin: the one entry point.  make run | make test | make bench | make deps
# Release objects go to build/rel, sanitizer (ASan+UBSan) objects to build/asan;
# generated data (store, tiles, logs) to var/. Both are git-ignored.

BUILD   ?= build
VAR     ?= var
CC      ?= gcc
PKGS    := gdal sqlite3 proj geos jansson libwebsockets cglm libcrypto zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# civetweb, meshoptimizer and libev ship no pkg-config file in Debian 12.
LIBS     = $(PKG_LIBS) -lcivetweb -lmeshoptimizer -lev -lstdc++ -lpthread -lm \
           $(EXPORTS)
# core/ct_printf_hooks.c refuses libquadmath's printf extensions (keeping
# printf on its fast path) only while the executable exports them; ld does
# so on its own when it sees the library's reference, EXPORTS says it.
# Only libquadmath among the linked libraries registers any.
EXPORTS  := $(foreach f,type modifier specifier function,\
              -Wl,--export-dynamic-symbol=register_printf_$(f))
WARN     := -Wall -Wextra -Werror
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE $(WARN) -I. $(PKG_CFLAGS) -MMD -MP
REL_CFLAGS  := -O2 -g
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined

SRC_DIRS := core spatial synth tiles live push server
SRCS     := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
LIB_SRCS := $(filter-out server/main.c,$(SRCS))
REL_OBJS := $(SRCS:%.c=$(BUILD)/rel/%.o)
ASAN_OBJS := $(SRCS:%.c=$(BUILD)/asan/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/asan/tests/%)

TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

CITYTWIN      := $(BUILD)/citytwin
CITYTWIN_ASAN := $(BUILD)/citytwin-asan

.PHONY: all deps run test test-build bench clean data tools
all: $(CITYTWIN)

deps:
	@scripts/deps.sh

$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(REL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) -c $< -o $@

$(CITYTWIN): $(REL_OBJS)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

$(CITYTWIN_ASAN): $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c $(ASAN_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) -o $@ $< $(ASAN_LIB_OBJS) $(LIBS)

# Test clients and load generators (tests/tools/*.c), release flags.
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(REL_CFLAGS) -o $@ $< $(TOOL_LIBS)
$(BUILD)/tools/ct_wsbench: TOOL_LIBS = -lz   # its deflate clients
$(BUILD)/tools/ct_sendfloor: TOOL_LIBS = $(shell pkg-config --libs liburing 2>/dev/null)  # --uring, bench-only

tools: $(TOOL_BINS)

test-build: $(CITYTWIN) $(CITYTWIN_ASAN) $(UNIT_BINS) $(TOOL_BINS)

# Everything a test run needs, installed, built and then run.
test: deps
	@$(MAKE) --no-print-directory -j2 test-build
	@BUILD=$(BUILD) tests/run.sh

# The embedded default: build, generate and import Luoyang, then serve it.
run: deps
	@$(MAKE) --no-print-directory -j2 all
	@BUILD=$(BUILD) VAR=$(VAR) scripts/run.sh

# The bench also installs its peers (nginx + nchan for the push bench).
bench:
	@CITYTWIN_BENCH_DEPS=1 scripts/deps.sh
	@$(MAKE) --no-print-directory -j2 all tools
	@BUILD=$(BUILD) VAR=$(VAR) tests/bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(REL_OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
