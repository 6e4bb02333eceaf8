/// `lander-call`, the phone-home client Lander puts on each calling target (`.lander/bin`, first on the
/// commands' PATH): POSIX sh and curl, no Lander install. The token travels on curl's stdin (`-K -`), never
/// on a command line; the body goes through a private temporary file.
public enum CallClient {
    /// Exit codes: 0 the job succeeded, 1 it failed, 2 bad usage, 3 refused (401/403), 4 cancelled, 5 Lander
    /// unreachable or a protocol error.
    public static let script = #"""
        #!/bin/sh
        # lander-call JOB [--var KEY=VALUE]... [--no-wait]   |   lander-call --result CALL
        # Asks the Lander deployment that runs this command to run JOB (a job of lander.yml's jobs:) in this
        # environment, waits for its end, prints its outputs as JSON and exits with its outcome:
        # 0 succeeded, 1 failed, 2 usage, 3 refused, 4 cancelled, 5 Lander unreachable.
        set -u
        die() { c=$1; shift; printf 'lander-call: %s\n' "$*" >&2; exit "$c"; }
        json() {
          printf '"'
          printf '%s' "$1" | awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t");
            gsub(/\r/, "\\r"); if (NR > 1) printf "\\n"; printf "%s", $0 }'
          printf '"'
        }
        [ -n "${LANDER_CALLBACK_URL-}" ] && [ -n "${LANDER_CALLBACK_TOKEN-}" ] ||
          die 2 "no way home here: run me from a command of a lander deployment whose project lets this target's role call jobs (jobs: … callers:)"
        command -v curl >/dev/null 2>&1 || die 5 "curl is needed on this target"
        job= wait=true vars= result=
        while [ $# -gt 0 ]; do
          case $1 in
            --var) [ $# -ge 2 ] || die 2 "--var needs KEY=VALUE"; v=$2; shift 2 ;;
            --var=*) v=${1#--var=}; shift ;;
            --no-wait) wait=false; shift; continue ;;
            --result) [ $# -ge 2 ] || die 2 "--result needs a call id"; result=$2; shift 2; continue ;;
            -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
            -*) die 2 "unknown option $1 (options: --var KEY=VALUE, --no-wait, --result CALL)" ;;
            *) [ -z "$job" ] || die 2 "one job at a time: $job and $1"; job=$1; shift; continue ;;
          esac
          case $v in ?*=*) ;; *) die 2 "--var takes KEY=VALUE, not '$v'" ;; esac
          vars="$vars${vars:+,}$(json "${v%%=*}"):$(json "${v#*=}")"
        done
        [ -n "$job$result" ] || die 2 "name a job: lander-call JOB [--var KEY=VALUE]... [--no-wait]"
        d=$(mktemp -d "${TMPDIR:-/tmp}/lander-call.XXXXXX") || die 5 "cannot make a temporary directory"
        trap 'rm -rf "$d"' EXIT
        trap 'exit 4' INT TERM
        case $LANDER_CALLBACK_URL in
          unix:*) base=http://lander; set -- --unix-socket "${LANDER_CALLBACK_URL#unix:}" ;;
          *) base=${LANDER_CALLBACK_URL%/}; set -- ;;
        esac
        if [ -n "$result" ]; then
          set -- "$@" "$base/v1/calls/$result?view=outputs"
        else
          printf '{"job":%s,"vars":{%s},"wait":%s}' "$(json "$job")" "$vars" "$wait" >"$d/body"
          set -- "$@" -H 'Content-Type: application/json' --data-binary "@$d/body" "$base/v1/calls?view=outputs"
        fi
        code=$(printf 'header = "Authorization: Bearer %s"\n' "$LANDER_CALLBACK_TOKEN" |
          curl -sS -K - -o "$d/out" -D "$d/headers" -w '%{http_code}' "$@") ||
          die 5 "cannot reach lander at $LANDER_CALLBACK_URL (curl exited $?)"
        header() { sed -n "s/^[Ll][Aa][Nn][Dd][Ee][Rr]-$1: *//p" "$d/headers" | tr -d '\r' | tail -n 1; }
        outcome=$(header '[Oo][Uu][Tt][Cc][Oo][Mm][Ee]')
        reason=$(header '[Ee][Rr][Rr][Oo][Rr]')
        case $code in
          200|202) cat "$d/out"; echo ;;
          400) die 2 "bad request: $reason" ;;
          401|403) die 3 "refused ($code): $reason" ;;
          *) die 5 "lander answered $code: ${reason:-$(cat "$d/out")}" ;;
        esac
        case $outcome in
          succeeded|running|"") exit 0 ;;
          cancelled) die 4 "job ${job:-$result} was cancelled${reason:+: $reason}" ;;
          *) die 1 "job ${job:-$result} $outcome${reason:+: $reason}" ;;
        esac
        """#
}
