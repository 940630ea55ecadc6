#!/bin/sh
# The scheduled jobs in one long-running process, for compose.yaml (a host with
# systemd uses the timers in deploy/systemd/ instead): press requests and
# failed-login records past their lockout every five minutes; verification reminders, candidates' review
# reminders, coordinators' queue digests, expired sessions, the coverage recompute once a day; the search rows
# rewritten in index order once a week (Sundays).
set -eu
: "${PUBLIC_BASE_URL:?PUBLIC_BASE_URL is required (links in e-mails)}"
# The mail sender polls every 5 s on its own (orgs/outbox.py); restarted if it exits.
( while true; do python manage.py send_outbox --loop || echo '{"level":"ERROR","logger":"jobs","message":"send_outbox exited"}'; sleep 5; done ) &
last_day=""
while true; do
    python manage.py press_housekeeping --base-url "$PUBLIC_BASE_URL" || echo '{"level":"ERROR","logger":"jobs","message":"press_housekeeping failed"}'
    python manage.py axes_prune || echo '{"level":"ERROR","logger":"jobs","message":"axes_prune failed"}'
    today="$(date -u +%F)"
    if [ "$today" != "$last_day" ] && [ "$(date -u +%H)" -ge 6 ]; then
        python manage.py verification_reminders --base-url "$PUBLIC_BASE_URL" &&
            python manage.py queue_digest --base-url "$PUBLIC_BASE_URL" &&
            python manage.py candidate_reviews --base-url "$PUBLIC_BASE_URL" &&
            python manage.py clearsessions &&
            python manage.py refresh_coverage &&
            { [ "$(date -u +%u)" != 7 ] || python manage.py rebuild_search_index --reorder-only; } &&
            last_day="$today" ||
            echo '{"level":"ERROR","logger":"jobs","message":"daily jobs failed"}'
    fi
    sleep 300
done
