# mcp_supa: a PGXS build of the extension library (src/pg + pure modules) and of the
# gateway program (pure modules + libwebsockets, never PostgreSQL code).

EXTENSION = mcp_supa
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" mcp_supa.control)

MODULE_big = mcp_supa
OBJS = \
	src/pg/mcp_supa.o \
	src/pg/guc.o \
	src/pg/supervisor.o \
	src/pg/gateway_process.o \
	src/pg/functions.o \
	src/pg/audit_writer.o \
	src/pg/executor.o \
	src/pg/job_codec.o \
	src/pg/executor_pool.o \
	src/pg/job_runner.o \
	src/pg/classifier.o \
	src/pg/claims_lock.o \
	src/pg/utility_hook.o \
	src/pg/row_json.o \
	src/pg/row_spec.o \
	src/pg/row_sql.o \
	src/pg/row_runner.o \
	src/common/json_text.o \
	src/common/json_limits.o \
	src/common/text.o \
	src/ipc/frame.o \
	src/ipc/audit_wire.o \
	src/ipc/json_reader.o \
	src/config/gateway_config.o \
	src/config/settings.o \
	src/auth/rate_limiter.o \
	src/auth/client_address.o \
	src/auth/jwks.o \
	src/auth/jwt.o \
	src/auth/base64url.o

# Install and upgrade scripts live in sql/install/; sql/*.sql are pg_regress inputs only.
DATA = $(wildcard sql/install/mcp_supa--*.sql)
# The regression tests and their order: test/regress/schedule (scripts/test.sh runs it).
REGRESS = $(shell sed -n 's/^test: *//p' test/regress/schedule)
REGRESS_OPTS = --temp-config=test/regress/regress.conf

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# Debian's PGXS would otherwise try to compile LLVM bitcode with clang.
override with_llvm = no

WARN_FLAGS = -Wall -Wextra -Wno-register -Wno-missing-field-initializers
ifdef WERROR
WARN_FLAGS += -Werror
endif
PG_CXXFLAGS += -MMD -MP -std=c++17 $(WARN_FLAGS) -fvisibility=hidden -DMCP_SUPA_VERSION='"$(EXTVERSION)"'
SHLIB_LINK += -lstdc++ -lcrypto

# Before the include: pgxs.mk tests EXTRA_CLEAN when it is read (the names expand later).
EXTRA_CLEAN = $(wildcard src/*/*.d test/unit/*.d) src/tools/catalog_sql.gen.h $(GATEWAY) $(GATEWAY_OBJS) $(UNIT_BIN) $(UNIT_OBJS) results regression.diffs regression.out

include $(PGXS)

# PostgreSQL's headers are system headers to us: their warnings are not ours to fix.
override CPPFLAGS := -Iinclude -isystem $(includedir_server) -isystem $(includedir_internal) $(CPPFLAGS)

# ---- the gateway program: pure modules only ----------------------------------------------
GATEWAY = mcp_supa_gateway
PURE_OBJS = \
	src/common/json_text.o \
	src/common/json_limits.o \
	src/common/random.o \
	src/common/text.o \
	src/common/log.o \
	src/ipc/frame.o \
	src/ipc/audit_wire.o \
	src/ipc/json_reader.o \
	src/ipc/dispatcher.o \
	src/mcp/jsonrpc.o \
	src/mcp/session.o \
	src/mcp/server.o \
	src/mcp/audit.o \
	src/mcp/confirmation.o \
	src/tools/registry.o \
	src/tools/results.o \
	src/tools/arguments.o \
	src/tools/sql.o \
	src/tools/catalog.o \
	src/tools/storage_request.o \
	src/tools/storage_tools.o \
	src/common/base64.o \
	src/auth/jwt_signer.o \
	src/net/circuit_breaker.o \
	src/tools/scope.o \
	src/tools/row_args.o \
	src/tools/rows.o \
	src/auth/authenticator.o \
	src/auth/rate_limiter.o \
	src/auth/client_address.o \
	src/config/gateway_config.o \
	src/config/settings.o \
	src/core/admission.o \
	src/core/gateway_core.o \
	src/core/protected_resource.o \
	src/net/router.o \
	src/net/listen.o \
	src/auth/jwt.o \
	src/auth/jwks.o \
	src/auth/base64url.o
GATEWAY_OBJS = $(PURE_OBJS) \
	src/net/gateway_loop.o \
	src/net/lws_headers.o \
	src/net/http_response.o \
	src/net/streamable_http.o \
	src/net/ws_transport.o \
	src/net/executor_link.o \
	src/net/client_listen.o \
	src/net/http_client.o \
	src/net/jwks_client.o \
	src/net/upstream_client.o \
	src/net/admission.o \
	src/net/lws_log.o \
	src/gateway/main.o
GATEWAY_LIBS = -lwebsockets -lssl -lcrypto -lstdc++

# Pure modules see no PostgreSQL include path at all, so an accidental include fails to build.
PURE_CPPFLAGS = -Iinclude
$(GATEWAY_OBJS): override CPPFLAGS := $(PURE_CPPFLAGS)

all: $(GATEWAY)

# The tools' catalog queries (src/tools/catalog/*.sql), embedded as C++ raw strings.
CATALOG_SQL = $(sort $(wildcard src/tools/catalog/*.sql))
src/tools/catalog_sql.gen.h: scripts/embed_sql.sh $(CATALOG_SQL)
	bash scripts/embed_sql.sh $@ $(CATALOG_SQL)
all: src/tools/catalog_sql.gen.h
src/tools/catalog.o: src/tools/catalog_sql.gen.h

# GATEWAY_RPATH (docker/build-extension.sh): where the gateway finds the libraries bundled with
# it, e.g. '$$ORIGIN/mcp_supa-libs'. DT_RPATH, not RUNPATH, so it also serves their own needs.
ifdef GATEWAY_RPATH
GATEWAY_LDFLAGS += -Wl,--disable-new-dtags,-rpath,'$(GATEWAY_RPATH)'
endif
$(GATEWAY): $(GATEWAY_OBJS)
	$(CXX) $(CXXFLAGS) -o $@ $^ $(GATEWAY_LDFLAGS) $(GATEWAY_LIBS)

install: install-gateway
install-gateway: $(GATEWAY)
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_PROGRAM) $(GATEWAY) '$(DESTDIR)$(pkglibdir)/$(GATEWAY)'

uninstall: uninstall-gateway
uninstall-gateway:
	rm -f '$(DESTDIR)$(pkglibdir)/$(GATEWAY)'

# ---- Catch2 unit tests of the pure modules ------------------------------------------------
UNIT_SRCS = $(wildcard test/unit/*.cpp)
UNIT_OBJS = $(UNIT_SRCS:.cpp=.o)
UNIT_BIN = test/unit/unit_tests
$(UNIT_OBJS): override CPPFLAGS := $(PURE_CPPFLAGS)

$(UNIT_BIN): $(UNIT_OBJS) $(PURE_OBJS)
	$(CXX) $(CXXFLAGS) -o $@ $^ $(GATEWAY_LIBS)

unit: $(UNIT_BIN)
	$(UNIT_BIN)

# ---- the two commands ---------------------------------------------------------------------
.PHONY: demo demo-stop test deb unit bench install-gateway uninstall-gateway print-regress \
	check-layers format format-check
demo:
	bash scripts/demo.sh
demo-stop:
	bash scripts/demo.sh stop
test:
	bash scripts/test.sh
# The Debian package postgresql-15-mcp-supa_<version>_<arch>.deb, in build/deb/.
deb:
	bash scripts/build-deb.sh
# Benchmarks (bench/run.sh): never part of the test command.
bench:
	bash bench/run.sh

# The include order of the layers (docs/architecture.md, "Layers"); the test command runs it.
check-layers:
	bash scripts/check_layers.sh

# clang-format (the repository's .clang-format) over every C++ file we wrote.
FORMAT_FILES = $(shell git ls-files '*.cpp' '*.h' 2>/dev/null || find src include test bench -name '*.cpp' -o -name '*.h')
CLANG_FORMAT ?= clang-format
format:
	$(CLANG_FORMAT) --style=file -i $(FORMAT_FILES)
format-check:
	$(CLANG_FORMAT) --style=file --dry-run -Werror $(FORMAT_FILES)

# Header dependencies written by -MMD: a changed header rebuilds what includes it.
-include $(wildcard src/*/*.d test/unit/*.d)


print-regress:
	@echo $(REGRESS)

# ---- bench/mcp_loadgen: the native load generator (not part of all) ----------------------
LOADGEN = bench/mcp_loadgen
LOADGEN_OBJS = $(patsubst %.cpp,%.o,$(wildcard bench/loadgen/*.cpp))
$(LOADGEN_OBJS): override CPPFLAGS := $(PURE_CPPFLAGS)

$(LOADGEN): $(LOADGEN_OBJS)
	$(CXX) $(CXXFLAGS) -o $@ $^ -lwebsockets -lssl -lcrypto -lstdc++

clean: clean-loadgen
.PHONY: clean-loadgen
clean-loadgen:
	rm -f $(LOADGEN) $(LOADGEN_OBJS) $(wildcard bench/loadgen/*.d)

-include $(wildcard bench/loadgen/*.d)

# ---- libFuzzer targets (test/fuzz): clang, ASan + UBSan, their own object folder ----------
# The pure modules are compiled again with clang and coverage instrumentation into
# $(FUZZ_DIR), so they never mix with the gcc objects of the gateway and the unit tests.
FUZZ_CXX ?= clang++
FUZZ_DIR = build/fuzz
FUZZ_TARGETS = mcp_message http_admission jwt executor_result
FUZZ_BINS = $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
FUZZ_OBJS = $(addprefix $(FUZZ_DIR)/,$(PURE_OBJS))
FUZZ_FLAGS = -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined $(WARN_FLAGS) $(PURE_CPPFLAGS)

$(FUZZ_DIR)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/src/tools/catalog.o: src/tools/catalog_sql.gen.h

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.cpp $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(GATEWAY_LIBS)

.PHONY: fuzz clean-fuzz print-fuzz
fuzz: $(FUZZ_BINS)
print-fuzz:
	@echo $(FUZZ_TARGETS)

clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)

-include $(wildcard $(FUZZ_DIR)/src/*/*.d)
