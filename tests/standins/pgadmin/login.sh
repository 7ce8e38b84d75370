#!/bin/bash
# What a person at pgAdmin's login page gets, as curl sees it:
#   login.sh BASE_URL EMAIL PASSWORD
# prints
#   page <status> banner=<LOGIN_BANNER text or ->
#   login <status> -> <Location>
#   browser <status of GET /browser/ with the session>
#   messages <the flashed messages the login page shows next, as JSON>
#   servers <names of the servers in the first server group, comma-separated>
# Used by tests/integration/test_standin_pgadmin.c.
set -u
base=$1 email=$2 password=$3
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
page=$(curl -sS -c "$jar" -b "$jar" -w '\n%{http_code}' "$base/login")
code=${page##*$'\n'}
# the React page's props: {"csrfToken": "...", "loginBanner": "...", ...}
token=$(grep -o '"csrfToken": *"[^"]*"' <<<"$page" | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
banner=$(grep -o '"loginBanner": *"[^"]*"' <<<"$page" | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
echo "page $code banner=${banner:--}"
read -r code location < <(curl -sS -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}\n' \
	--data-urlencode "csrf_token=$token" --data-urlencode "email=$email" \
	--data-urlencode "password=$password" --data-urlencode "language=en" \
	--data-urlencode "internal_button=Login" "$base/authenticate/login")
echo "login $code -> ${location:--}"
echo "browser $(curl -sS -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' "$base/browser/")"
echo "messages $(curl -sS -c "$jar" -b "$jar" "$base/login" | grep -o '"messages": *\[.*\]' | head -n1 | sed 's/^"messages": *//')"
# the browser's API calls carry the session's CSRF token in a header, as
# the page's scripts do (pgAdmin['csrf_token'] in /browser/js/utils.js)
api=$(curl -sS -c "$jar" -b "$jar" "$base/browser/js/utils.js" | sed -n "s/.*pgAdmin\['csrf_token'\] = '\([^']*\)'.*/\1/p" | head -n1)
groups=$(curl -sS -c "$jar" -b "$jar" -H "X-pgA-CSRFToken: $api" "$base/browser/server_group/nodes/")
gid=$(grep -o '"_id": *"\?[0-9]*' <<<"$groups" | head -n1 | grep -o '[0-9]*$')
servers=$(curl -sS -c "$jar" -b "$jar" -H "X-pgA-CSRFToken: $api" "$base/browser/server/nodes/${gid:-0}/")
echo "servers $(grep -o '"label": *"[^"]*"' <<<"$servers" | sed 's/.*"\([^"]*\)"$/\1/' | paste -sd, -)"
