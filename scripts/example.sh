#!/usr/bin/env bash
# Set up what the example needs (.venv, the Rust extension, Django) and start the
# example Django project on django-bolt. The tools of the tests and benchmarks are left
# to scripts/setup.sh without --example (scripts/test.sh runs it).
#
#   bash scripts/example.sh [runbolt args...]     (default: 127.0.0.1:8000)
#
# Then open http://127.0.0.1:8000/items/, /health, /hello/ and /admin/ (admin/admin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --example

PY="$ROOT/.venv/bin/python"
cd "$ROOT/example"

printf '\n==> %s\n' "Migrating the example database"
"$PY" manage.py migrate --noinput

printf '\n==> %s\n' "Superuser admin/admin"
if out="$(DJANGO_SUPERUSER_USERNAME=admin \
    DJANGO_SUPERUSER_PASSWORD=admin \
    DJANGO_SUPERUSER_EMAIL=admin@example.com \
    "$PY" manage.py createsuperuser --noinput 2>&1)"; then
    echo "    created"
elif grep -qi "already" <<<"$out"; then
    echo "    already exists"
else
    echo "$out" >&2
    exit 1
fi

printf '\n==> %s\n' "Starting django-bolt (Ctrl-C to stop)"
# Default to 127.0.0.1:8000 unless the caller chose a host or port.
args=("$@")
case " $* " in *" --host"*) ;; *) args=(--host 127.0.0.1 "${args[@]}") ;; esac
case " $* " in *" --port"*) ;; *) args=(--port 8000 "${args[@]}") ;; esac
exec "$PY" manage.py runbolt --dev "${args[@]}"
