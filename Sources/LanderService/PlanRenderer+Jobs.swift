public import LanderModel

extension PlanRenderer {
    /// The jobs targets may ask for (phone home): who may call, and where each would run here.
    public static func jobs(_ project: Project, in environment: Environment) -> [String] {
        guard !project.jobs.isEmpty else { return [] }
        var lines = ["", "jobs targets may ask for (lander-call JOB), in \(environment.name):"]
        for job in project.jobs {
            let callers = environment.targets.filter { target in job.callers.contains { target.roles.contains($0) } }
            let runs: String
            switch job.work {
            case .steps(let steps):
                let targets = environment.targets.filter { target in job.roles.contains { target.roles.contains($0) } }
                runs =
                    "\(steps.count) step\(steps.count == 1 ? "" : "s") on "
                    + targets.map(\.name).joined(separator: ", ")
            case .project(let deployment): runs = describe(deployment)
            }
            lines.append(
                "  \(job.name): asked by "
                    + (callers.isEmpty ? "no target here" : callers.map(\.name).joined(separator: ", "))
                    + "; runs \(runs)" + (job.perCall ? ", per call" : ", once per deployment")
                    + ", timeout \(job.timeout.formatted)")
        }
        return lines
    }
}
