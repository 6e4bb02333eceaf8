import Foundation

extension AgentExecutor {
    /// Starts taking an upload: its bytes go to a part file beside the destination until `put-end`.
    func beginUpload(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        let destination = place(message)
        let directory = message.directory ?? false
        let parent = (destination as NSString).deletingLastPathComponent
        let part = "\(parent)/.lander-part-\(id)"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            outbox.send(Self.failure(id, "cannot create \(parent) on agent '\(name)': \(error.localizedDescription)"))
            return
        }
        guard FileManager.default.createFile(atPath: part, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: part)
        else {
            outbox.send(
                Self.failure(id, "cannot write \(part) on agent '\(name)': \(String(cString: strerror(errno)))"))
            return
        }
        state.withLock {
            $0.uploads[id] = Upload(
                handle: handle, part: part, destination: destination, directory: directory, mode: message.mode ?? 0o644)
        }
    }

    /// Ends an upload: a file gets its mode and its name, a directory's archive is unpacked in place.
    func endUpload(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        guard let upload = state.withLock({ $0.uploads.removeValue(forKey: id) }) else { return }
        try? upload.handle.close()
        if let problem = message.text {
            unlink(upload.part)
            outbox.send(Self.failure(id, "the upload to \(upload.destination) was abandoned: \(problem)"))
            return
        }
        var done = AgentMessage(.done, id: id)
        done.size = upload.size
        guard upload.directory else {
            chmod(upload.part, mode_t(upload.mode))
            if rename(upload.part, upload.destination) == 0 {
                outbox.send(done)
            } else {
                let reason = String(cString: strerror(errno))
                unlink(upload.part)
                outbox.send(Self.failure(id, "cannot put \(upload.destination) on agent '\(name)': \(reason)"))
            }
            return
        }
        let local = LocalTransport(target: name, root: "/", environment: environment)
        Task {
            let argv = [
                "sh", "-c", #"mkdir -p "$1" && tar -xf "$2" -C "$1"; s=$?; rm -f "$2"; exit $s"#, "unpack",
                upload.destination, upload.part,
            ]
            do {
                let result = try await local.run(Command(argv), options: RunOptions())
                outbox.send(
                    result.succeeded
                        ? done : Self.failure(id, "cannot unpack into \(upload.destination): \(result.stderr)"))
            } catch {
                outbox.send(Self.failure(id, Self.describe(error)))
            }
        }
    }

    /// Sends a file (or a directory as a tar archive) as chunks in the bulk lane, then `done` behind them.
    func download(_ message: AgentMessage, id: String, _ outbox: AgentOutbox) {
        let source = place(message)
        let local = LocalTransport(target: name, root: "/", environment: environment)
        let name = self.name
        Task {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
                _ = await outbox.send(behindBulk: Self.failure(id, "no file or directory \(source) on agent '\(name)'"))
                return
            }
            var file = source
            var archive: String?
            if isDirectory.boolValue {
                let tar = NSTemporaryDirectory() + "lander-download-\(id).tar"
                let packed = try? await local.run(
                    Command(["tar", "-C", source, "-cf", tar, "."]), options: RunOptions())
                guard let packed, packed.succeeded else {
                    unlink(tar)
                    _ = await outbox.send(
                        behindBulk: Self.failure(id, "cannot pack \(source): \(packed?.stderr ?? "tar did not start")"))
                    return
                }
                file = tar
                archive = tar
            }
            defer { if let archive { unlink(archive) } }
            if let problem = await AgentConnection.stream(file, id: id, into: outbox) {
                _ = await outbox.send(behindBulk: Self.failure(id, problem))
                return
            }
            var done = AgentMessage(.done, id: id)
            done.directory = isDirectory.boolValue
            done.mode = AgentConnection.mode(of: source)
            done.size = AgentConnection.size(of: file)
            _ = await outbox.send(behindBulk: done)
        }
    }
}
