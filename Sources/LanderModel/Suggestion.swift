/// "Did you mean" for misspelt keys, roles and names.
public enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, word.count / 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased())
            guard d <= limit else { continue }
            if let current = best, current.distance < d || (current.distance == d && current.candidate < candidate) {
                continue
            }
            best = (candidate, d)
        }
        return best?.candidate
    }

    /// A hint: `did you mean 'x'?`, else the list of what is allowed.
    public static func hint(for word: String, in candidates: [String], listing noun: String) -> String {
        if let match = closest(to: word, in: candidates) { return "did you mean '\(match)'?" }
        return candidates.isEmpty ? "there are no \(noun)" : "\(noun): " + candidates.joined(separator: ", ")
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
