/// A problem in a rules file, located: `file:line:column: error: message`.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// What is wrong, with a suggestion when there is one.
    public var message: String

    /// A diagnostic.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`, as compilers print it.
    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// All the problems of one load, in file order.
public struct Diagnostics: Error, Sendable, CustomStringConvertible {
    /// The problems.
    public var items: [Diagnostic]
    /// One line per problem.
    public var description: String { items.map(\.description).joined(separator: "\n") }
}

/// The closest of `candidates` to `word`, when close enough to be a likely typo.
func suggestion(for word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
    let w = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(w, Array($0))) }.sorted { $0.1 < $1.1 }
    guard let best = scored.first, best.1 <= max(2, word.count / 3) else {
        // A known key with a unit suffix left out (`window` → `window_secs`).
        return candidates.first { $0.hasPrefix(word + "_") }
    }
    return best.0
}
