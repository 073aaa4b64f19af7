#!/usr/bin/env bash
# Start Redis and PostgreSQL on 127.0.0.1 for the session-backend tests; source it, then call
# `start_services` (exports AGENTS_TEST_REDIS_URL, AGENTS_TEST_POSTGRES_URL and CHROMIUM_PATH) and
# `stop_services` (from a trap). Uses Debian's `redis-server`, `postgresql`, `chromium` and `npm`
# (the api playground's browser tests and their axe-core audit) packages, installed with apt when
# missing. Both run from a throwaway directory on non-default ports, with durability
# off (fsync, snapshots): the tests check behaviour, not crash safety of the servers.
# Run as root (CI) or as a user who can run them (REDIS_PORT / PG_PORT change the ports).

SERVICES_DIR="${SERVICES_DIR:-$(mktemp -d /tmp/agents-core-services.XXXXXX)}"
REDIS_PORT="${REDIS_PORT:-6390}"
PG_PORT="${PG_PORT:-5440}"

_pg_bin() {
    local dir
    # The server's bin dir (a client-only install has psql there but no initdb).
    dir="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
    [ -n "${dir}" ] && dirname "${dir}"
}

_install_services() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [ -n "$(_pg_bin)" ] || missing+=(postgresql)
    [ -n "$(_chromium)" ] || missing+=(chromium)
    command -v npm >/dev/null 2>&1 || missing+=(npm)  # axe-core for the playground's audit
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "== installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

_chromium() {
    if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
        echo "${CHROMIUM_PATH}"
    else
        command -v chromium || command -v chromium-browser || true
    fi
}

_as_postgres() {
    if [ "$(id -u)" = "0" ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_wait_for() {  # _wait_for <what> <command...>: up to 30 s
    local what="$1"; shift
    for _ in $(seq 1 150); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "!! ${what} did not start" >&2
    return 1
}

start_services() {
    _install_services
    local pg_bin
    pg_bin="$(_pg_bin)"

    echo "== redis-server on 127.0.0.1:${REDIS_PORT}"
    redis-server --bind 127.0.0.1 --port "${REDIS_PORT}" --save "" --appendonly no \
        --daemonize yes --pidfile "${SERVICES_DIR}/redis.pid" --logfile "${SERVICES_DIR}/redis.log" \
        --dir "${SERVICES_DIR}"
    _wait_for "redis-server" redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping

    echo "== PostgreSQL on 127.0.0.1:${PG_PORT}"
    local data="${SERVICES_DIR}/pg"
    mkdir -p "${data}"
    [ "$(id -u)" = "0" ] && chown -R postgres "${SERVICES_DIR}" && chmod 755 "${SERVICES_DIR}"
    _as_postgres "${pg_bin}/initdb" -D "${data}" -U postgres --auth=trust -E UTF8 >/dev/null
    _as_postgres "${pg_bin}/pg_ctl" -D "${data}" -l "${SERVICES_DIR}/pg.log" -w start \
        -o "-h 127.0.0.1 -p ${PG_PORT} -k ${SERVICES_DIR} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
    _as_postgres "${pg_bin}/psql" -h 127.0.0.1 -p "${PG_PORT}" -U postgres -q \
        -c "CREATE USER agents WITH PASSWORD 'agents' CREATEDB" \
        -c "CREATE DATABASE agents OWNER agents" >/dev/null

    CHROMIUM_PATH="$(_chromium)"
    export CHROMIUM_PATH
    echo "   CHROMIUM_PATH=${CHROMIUM_PATH}"

    export AGENTS_TEST_REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
    export AGENTS_TEST_POSTGRES_URL="postgresql://agents:agents@127.0.0.1:${PG_PORT}/agents"
    echo "   AGENTS_TEST_REDIS_URL=${AGENTS_TEST_REDIS_URL}"
    echo "   AGENTS_TEST_POSTGRES_URL=${AGENTS_TEST_POSTGRES_URL}"
}

stop_services() {
    local pg_bin
    pg_bin="$(_pg_bin)"
    if [ -f "${SERVICES_DIR}/redis.pid" ]; then
        kill "$(cat "${SERVICES_DIR}/redis.pid")" 2>/dev/null || true
    fi
    if [ -n "${pg_bin}" ] && [ -f "${SERVICES_DIR}/pg/postmaster.pid" ]; then
        _as_postgres "${pg_bin}/pg_ctl" -D "${SERVICES_DIR}/pg" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "${SERVICES_DIR}"
}
