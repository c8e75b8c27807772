#!/usr/bin/env bash
# Healthcheck for the proxy container: Nginx answers its own /nginx-health.
# bash's /dev/tcp, because the image has neither curl nor wget.
set -euo pipefail
exec 3<>/dev/tcp/127.0.0.1/80
printf 'GET /nginx-health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 3 status_line <&3
[[ "${status_line}" == "HTTP/1.1 200"* ]]
