import LanderTransport

extension Deployment {
    /// `LANDER_RUN` of a task run: `<deployment>/<step>/<task>/<target>`.
    static func runKey(_ id: String, step: String, task: String, target: String) -> String {
        "\(id)/\(step)/\(task)/\(target)"
    }

    /// The start every `LANDER_RUN` of a deployment (or of one step, or one task of it) shares.
    public static func runPrefix(_ id: String, step: String? = nil, task: String? = nil) -> String {
        guard let step else { return "\(id)/" }
        return "\(id)/\(step)/" + (task.map { "\($0)/" } ?? "")
    }

    /// Stops, on each target, what the interrupted run left running: the sessions it opened and never closed
    /// (while they still carry this deployment's id), and every process group led by a process of one of its
    /// *unfinished* task runs (`LANDER_RUN=<deployment>/…/<target>`: the command, and what it detached), so a
    /// resumed task never runs beside its earlier copy. Services that finished task runs started keep running.
    func stopLeftovers() async {
        guard resume.interrupted || !resume.sessions.isEmpty else { return }
        let script = #"""
            prefix=$1; target=$2; sessions=$3; shift 3; found=""
            add() { case " $found " in *" $1 "*) ;; *) found="$found $1" ;; esac; }
            for p in $sessions; do
              tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "LANDER_DEPLOYMENT=${prefix%/}" && add "$p"
            done
            # One grep reads every process's environment (NUL-separated entries) and names those of this
            # deployment's runs: a process per /proc entry outran the scan's limit on a busy machine.
            runs=$(grep -z -s -H -m 1 "^LANDER_RUN=$prefix" /proc/[0-9]*/environ | tr '\0' '\n')
            nl='
            '
            while [ -n "$runs" ]; do
              line=${runs%%"$nl"*}
              [ "$line" = "$runs" ] && runs="" || runs=${runs#*"$nl"}
              d=${line%%/environ:*}; p=${d#/proc/}; v=${line#*:LANDER_RUN=}
              case "$v" in "$prefix"*"/$target") ;; *) continue ;; esac
              # Group leaders only; the fields after the name are state, parent, process group.
              read -r l < "$d/stat" 2>/dev/null || continue
              l=${l##*") "}; l=${l#* }; l=${l#* }
              [ "${l%% *}" = "$p" ] || continue
              finished=""
              for key in "$@"; do [ "$v" = "$key" ] && finished=1; done
              [ -n "$finished" ] || add "$p"
            done
            [ -n "$found" ] || exit 0
            for g in $found; do kill -TERM -- "-$g" 2>/dev/null || kill -TERM "$g" 2>/dev/null; done
            i=0
            while [ $i -lt 30 ]; do
              alive=""; for g in $found; do { kill -0 -- "-$g" || kill -0 "$g"; } 2>/dev/null && alive=1; done
              [ -n "$alive" ] || break
              sleep 0.1; i=$((i+1))
            done
            for g in $found; do kill -KILL -- "-$g" 2>/dev/null; kill -KILL "$g" 2>/dev/null; done
            echo "stopped$found"
            """#
        await withTaskGroup(of: Void.self) { group in
            for target in plan.targets {
                let sessions = resume.sessions.filter { $0.target == target.name }
                let finished = resume.finished.keys.filter { $0.target == target.name }.map {
                    Self.runKey(id, step: $0.step, task: $0.task, target: $0.target)
                }
                group.addTask {
                    let pids = sessions.map { String($0.pid) }.joined(separator: " ")
                    let argv = ["sh", "-c", script, "-", self.id + "/", target.name, pids] + finished
                    let result = try? await self.connect(target).run(
                        Command(argv), options: RunOptions(timeout: .seconds(30)))
                    if result?.succeeded != true {
                        self.events(
                            .log(
                                level: .warn,
                                message: "could not look for what the interrupted run left running: "
                                    + (result.map { $0.stoppedBy.map { "\($0)" } ?? $0.stderr } ?? "no connection"),
                                target: target.name))
                    }
                    let line = result?.stdout.split(separator: "\n").first { $0.hasPrefix("stopped") } ?? ""
                    var stopped = Set(line.dropFirst("stopped".count).split(separator: " ").map(String.init))
                    for session in sessions where stopped.remove(String(session.pid)) != nil {
                        self.events(
                            .log(
                                level: .warn,
                                message: "stopped session '\(session.name)' (pid \(session.pid)) the interrupted run "
                                    + "left open", target: target.name))
                    }
                    if !stopped.isEmpty {
                        self.events(
                            .log(
                                level: .warn,
                                message: "stopped what the interrupted run left running of its unfinished tasks "
                                    + "(process groups \(stopped.sorted().joined(separator: ", ")))",
                                target: target.name))
                    }
                    for session in sessions {
                        self.events(.sessionClosed(target: session.target, name: session.name))
                    }
                }
            }
        }
    }
}
