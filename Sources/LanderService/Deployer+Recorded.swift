import LanderEngine
public import LanderModel
public import LanderStore

extension Deployer {
    /// Continues an interrupted (or cancelled, still newest) deployment: planned again from the lander.yml
    /// and plugin path it was recorded with; what its run finished is not done again. `observer`, when
    /// given, follows it instead of the handle's event stream.
    public func resume(
        _ id: String, projectDirectory: String, wait: Bool = true, observer: (any DeploymentObserver)? = nil
    ) async throws(ServiceError) -> DeploymentHandle {
        let store = try openStore(forProjectIn: projectDirectory)
        let record: DeploymentRecord
        let resume: ResumePoint
        do {
            record = try store.deployment(id)
            try store.checkResumable(record)
            if record.kind == "job" {
                throw StoreError(
                    "\(record.id) is a phone-home job, which runs only when its deployment asks for it; resume that "
                        + "deployment (\(record.parent ?? "its parent")) instead")
            }
            resume = try store.resumePoint(of: record.id)
        } catch {
            throw ServiceError(.refused, "\(error)")
        }
        let loaded = try LoadedProject.load(.file(record.projectFile), plugins: record.pluginPath)
        let planned = try await loaded.plan(
            environment: record.environment, version: record.version, packages: record.packages,
            overrides: record.variables)
        let resumed = record.id
        return start(
            planned, loaded: loaded, store: store, id: resumed, resume: resume, wait: wait,
            startedFrom: .resumed(record, finished: resume.finished.count), observer: observer
        ) { () throws(StoreError) in _ = try store.claimForResume(resumed) }
    }

    /// Deploys again the release of the newest successful deployment before the current one (or of
    /// `version`), with its recorded variables; secrets are read again. `observer`, when given, follows it
    /// instead of the handle's event stream; `requestedBy` is who the record names (default: this process's
    /// user).
    public func rollback(
        _ project: ProjectReference, environment: String, to version: String? = nil, plugins: [String] = [],
        id requestedID: String? = nil, requestedBy: String? = nil, wait: Bool = true,
        observer: (any DeploymentObserver)? = nil
    ) async throws(ServiceError) -> DeploymentHandle {
        let loaded = try LoadedProject.load(project, plugins: plugins)
        let store = try openStore(for: loaded)
        let name = loaded.project.name
        let target: DeploymentRecord
        do {
            guard let found = try store.rollbackTarget(project: name, environment: environment, version: version)
            else {
                throw StoreError(
                    version.map { "no successful deployment of \(name) \($0) to \(environment) is recorded" }
                        ?? "no earlier successful release of \(name) to \(environment) is recorded; "
                        + "`lander history -e \(environment)` lists what is")
            }
            target = found
        } catch {
            throw ServiceError(.refused, "\(error)")
        }
        let planned = try await loaded.plan(
            environment: environment, version: target.version, packages: target.packages,
            overrides: target.variables)
        let plan = planned.plan
        let id = requestedID ?? Deployment.newID()
        var new = NewDeployment(
            id: id, kind: "rollback", project: plan.project, environment: plan.environment,
            version: plan.release.version, packages: target.packages, variables: plan.recordedVariables,
            projectFile: loaded.file, pluginPath: loaded.plugins,
            note: "rollback to \(target.version) as deployed by \(target.id)")
        new.requestedBy = requestedBy
        let recorded = new
        return start(
            planned, loaded: loaded, store: store, id: id, wait: wait, startedFrom: .rollback(of: target),
            observer: observer
        ) { () throws(StoreError) in try store.begin(recorded) }
    }

    /// Gives up an interrupted deployment (its targets stay as they are); with `releaseLocks`, also lets go
    /// of the locks its dead run holds for commands that may still run elsewhere. Returns the record and
    /// the locks that stay held, with why.
    public func abandon(_ id: String, reason: String, releaseLocks: Bool = false, projectDirectory: String)
        throws(ServiceError) -> (record: DeploymentRecord, held: [(lock: String, why: String)])
    {
        let store = try openStore(forProjectIn: projectDirectory)
        do {
            let known = try store.deployment(id)
            let record = releaseLocks && known.status == "abandoned" ? known : try store.abandon(id, reason: reason)
            if releaseLocks { try store.releaseLeftovers(of: record.id) }
            return (record, try store.heldLeftovers(of: record.id))
        } catch {
            throw ServiceError(.refused, "\(error)")
        }
    }

    /// Resolves each package of the project and records the release `version` with the exact results.
    public func createRelease(
        _ project: ProjectReference, version: String, packages wanted: [String: String]
    ) async throws(ServiceError) -> (LoadedProject, [ResolvedPackage]) {
        let loaded = try LoadedProject.load(project)
        let resolved = try await loaded.resolvePackages(wanted, releaseVersion: version)
        let store = try openStore(for: loaded)
        do {
            try store.createRelease(project: loaded.project.name, version: version, packages: resolved)
        } catch {
            throw ServiceError(.refused, "\(error)")
        }
        return (loaded, resolved)
    }
}
