import Foundation
import LanderModel
import LanderPackages
import LanderTransport

extension Deployment {
    /// Fetches each package a target will have pushed into the cache once, hash checked. Nil: one could
    /// not be (the deployment has failed and says why).
    func acquirePackages() async -> [String: String]? {
        var cached: [String: String] = [:]
        let cache = PackageCache(directory: plan.projectDirectory + "/.lander/cache")
        for planned in plan.packages where planned.targets.contains(where: { ($0.acquisition.mode ?? .push) == .push })
        {
            let package = planned.package
            do {
                let (path, fetched) = try await cache.acquire(package)
                cached[package.sha256] = path
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                events(
                    .log(
                        level: .info,
                        message: "package \(package.id) \(package.version): "
                            + (fetched ? "acquired from \(package.feed)" : "already in the cache")
                            + " (\(Self.bytes(size)), sha256 \(package.sha256.prefix(12))…)", target: nil))
            } catch {
                fail("acquiring packages failed: \(error.description)")
                return nil
            }
        }
        return cached
    }

    /// Puts every package on every target that receives it, all targets at once (a target's packages in
    /// order). False: some target did not get its packages (the deployment has failed, naming them).
    func distributePackages(_ cached: [String: String]) async -> Bool {
        var perTarget: [String: [(PlannedPackage, PlannedTarget)]] = [:]
        var order: [String] = []
        for planned in plan.packages {
            for target in planned.targets {
                if perTarget[target.name] == nil { order.append(target.name) }
                perTarget[target.name, default: []].append((planned, target))
            }
        }
        guard !order.isEmpty else { return true }
        let failed = await withTaskGroup(of: (String?, [PackageDelivery.Outcome]).self) { group in
            for name in order {
                let deliveries = perTarget[name] ?? []
                group.addTask {
                    var outcomes: [PackageDelivery.Outcome] = []
                    for (planned, target) in deliveries {
                        let delivery = PackageDelivery(
                            package: planned, target: target, connection: self.connect(target),
                            cached: cached[planned.package.sha256])
                        let label = "package \(planned.package.id) \(planned.package.version)"
                        do {
                            let outcome = try await delivery.run()
                            outcomes.append(outcome)
                            let said: String
                            switch outcome {
                            case .present: said = "already here, nothing sent"
                            case .pushed(let size): said = "pushed (\(Self.bytes(size)))"
                            case .pulled(let url): said = "pulled from \(url)"
                            case .reused:
                                said = "unpacked again from the copy it keeps (variables changed), nothing sent"
                            }
                            self.events(.log(level: .info, message: "\(label): \(said)", target: name))
                        } catch {
                            let message = self.plan.secrets.mask("\(error)")
                            self.events(.log(level: .error, message: message, target: name))
                            return ("\(name): \(message)", outcomes)
                        }
                    }
                    return (nil, outcomes)
                }
            }
            var failed: [String] = []
            var pushed = 0
            var sent = 0
            var pulled = 0
            var present = 0
            var reused = 0
            for await (failure, outcomes) in group {
                if let failure { failed.append(failure) }
                for outcome in outcomes {
                    switch outcome {
                    case .pushed(let size): (pushed, sent) = (pushed + 1, sent + size)
                    case .pulled: pulled += 1
                    case .present: present += 1
                    case .reused: reused += 1
                    }
                }
            }
            events(
                .log(
                    level: .info,
                    message: "packages: \(pushed) pushed (\(Self.bytes(sent)) sent from here), \(pulled) pulled, "
                        + "\(present) already present, \(reused) unpacked again", target: nil))
            return failed
        }
        guard failed.isEmpty else {
            fail(
                "packages were not distributed to \(failed.count) target(s), so no step ran: "
                    + failed.sorted().joined(separator: "; "))
            return false
        }
        return true
    }

    /// A size as progress output writes it: `512 B`, `3.2 MB`.
    public static func bytes(_ count: Int) -> String {
        if count < 1000 { return "\(count) B" }
        if count < 1_000_000 { return String(format: "%.1f kB", Double(count) / 1000) }
        return String(format: "%.1f MB", Double(count) / 1_000_000)
    }
}
