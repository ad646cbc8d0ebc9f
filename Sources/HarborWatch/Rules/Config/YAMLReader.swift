import Yams

/// Reads a YAML tree node by node, keeping every node's line and column, and collecting every
/// problem instead of stopping at the first (swift-syntax's habit).
final class YAMLReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    func error(_ node: Node?, _ message: String) {
        let m = node?.mark
        diagnostics.append(Diagnostic(file: file, line: m?.line ?? 1, column: m?.column ?? 1, message: message))
    }

    func errorAt(_ line: Int, _ column: Int, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: line, column: column, message: message))
    }

    /// The key/value pairs of a mapping, checking the keys against `allowed` (unknown keys are errors with a suggestion).
    func mapping(_ node: Node, _ what: String, allowed: [String]? = nil, required: [String] = []) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let m) = node else {
            error(node, "\(what) must be a mapping (key: value)")
            return []
        }
        var out: [(String, Node, Node)] = []
        var seen = Set<String>()
        for (k, v) in m {
            guard case .scalar(let s) = k else {
                error(k, "\(what): keys must be plain words")
                continue
            }
            let key = s.string
            if !seen.insert(key).inserted { error(k, "\(what): duplicate key '\(key)'") }
            if let allowed, !allowed.contains(key) {
                var msg = "unknown key '\(key)' in \(what)"
                if let s = suggestion(for: key, in: allowed) { msg += "; did you mean '\(s)'?" }
                error(k, msg)
                continue
            }
            out.append((key, k, v))
        }
        for r in required where !seen.contains(r) { error(node, "\(what) needs '\(r)'") }
        return out
    }

    func sequence(_ node: Node, _ what: String) -> [Node] {
        if case .sequence(let s) = node { return Array(s) }
        error(node, "\(what) must be a list")
        return []
    }

    func string(_ node: Node, _ what: String) -> String? {
        if case .scalar(let s) = node { return s.string }
        error(node, "\(what) must be a string")
        return nil
    }

    func bool(_ node: Node, _ what: String) -> Bool? {
        if case .scalar(let s) = node {
            switch s.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        error(node, "\(what) must be true or false")
        return nil
    }

    func number(_ node: Node, _ what: String, min: Double? = nil) -> Double? {
        if case .scalar(let s) = node, let v = Double(s.string.replacingOccurrences(of: "_", with: "")) {
            if let min, v < min {
                error(node, "\(what) must be at least \(Report.number(min)), not \(s.string)")
                return nil
            }
            return v
        }
        error(node, "\(what) must be a number")
        return nil
    }

    func int(_ node: Node, _ what: String, min: Int? = nil) -> Int? {
        if case .scalar(let s) = node, let v = Int(s.string.replacingOccurrences(of: "_", with: "")) {
            if let min, v < min {
                error(node, "\(what) must be at least \(min), not \(s.string)")
                return nil
            }
            return v
        }
        error(node, "\(what) must be a whole number")
        return nil
    }

    func strings(_ node: Node, _ what: String) -> [String] {
        if case .scalar(let s) = node { return [s.string] }
        return sequence(node, what).compactMap { string($0, what) }
    }

    func stringMap(_ node: Node, _ what: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, _, v) in mapping(node, what) {
            if let s = string(v, "\(what).\(k)") { out[k] = s }
        }
        return out
    }
}

extension Report {
    /// `120` or `0.5`.
    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}
