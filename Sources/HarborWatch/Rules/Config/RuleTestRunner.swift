import Foundation

/// Runs the `tests:` of a rules file: literal input lines per site and component, then the alerts
/// expected (labels, annotations, firing or resolved, at which event time) — like
/// `promtool test rules` and `vector test`.
public enum RuleTestRunner {
    /// The outcome of one test.
    public struct Outcome: Sendable {
        /// The test's name.
        public var name: String
        /// Where it stands in the file.
        public var line: Int
        /// What differed, empty when it passed.
        public var problems: [String]
        /// True when it passed.
        public var passed: Bool { problems.isEmpty }
    }

    /// Runs every test of `rules`.
    public static func run(_ rules: RulesFile) -> [Outcome] {
        rules.tests.map { run($0, rules) }
    }

    static func fileName(_ component: String) -> String {
        switch component {
        case "", "proxy": return "proxy.log"
        case "nginx": return "nginx/access.log"
        case "job": return "job_logs/000000000000000000000000.log"
        default: return component + ".log"
        }
    }

    static func run(_ test: RuleTest, _ rules: RulesFile) -> Outcome {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harborwatch-rules-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var problems: [String] = []
        var bySite: [String: [String: [String]]] = [:]
        for i in test.inputs { bySite[i.site, default: [:]][fileName(i.component), default: []] += i.lines }
        do {
            for (site, files) in bySite {
                for (name, lines) in files {
                    let url = dir.appendingPathComponent(site).appendingPathComponent(name)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
                }
            }
        } catch {
            return Outcome(name: test.name, line: test.line, problems: ["cannot write the test's input: \(error)"])
        }
        var options = AnalyzeOptions()
        options.detectors = rules.detectors
        options.userRules = rules.rules
        options.parse.year = test.year ?? 2024
        options.parse.syslogZone = test.syslogZone.flatMap(SyslogZone.init) ?? .fixed(0)
        options.primary = rules.sites.first { $0.role == "primary" }?.name ?? test.inputs.first?.site
        let resolution = InputResolver().resolve([InputSpec(path: dir.path)])
        let analysis = Analyzer.run(sources: resolution.sources, options: options)
        let builder = AlertBuilder(rules: rules)
        var actual = analysis.findings.map(builder.alert)
        for x in test.expected {
            let candidates = actual.enumerated().filter { $0.element.labels["alertname"] == x.alertname }
            let match = candidates.first { c in
                let a = c.element
                return x.labels.allSatisfy { a.labels[$0.key] == $0.value }
                    && x.annotations.allSatisfy { a.annotations[$0.key] == $0.value }
                    && (x.status.map { $0 == a.status.rawValue } ?? true)
                    && (x.at.map { at in Self.time(at) == (a.status == .resolved && x.status == "resolved" ? a.endsAt : a.startsAt) } ?? true)
            }
            if let m = match {
                actual.remove(at: m.offset)
            } else {
                var p = "line \(x.line): expected \(x.alertname)"
                if let s = x.status { p += " \(s)" }
                if let at = x.at { p += " at \(at)" }
                if !x.labels.isEmpty { p += " with labels \(x.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" }
                if !x.annotations.isEmpty { p += " and annotations \(x.annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: " "))" }
                p += candidates.isEmpty ? "; got no \(x.alertname) alert" : "; got:\n" + candidates.map { "      " + describe($0.element) }.joined(separator: "\n")
                problems.append(p)
            }
        }
        for a in actual { problems.append("unexpected alert: " + describe(a)) }
        return Outcome(name: test.name, line: test.line, problems: problems)
    }

    static func describe(_ a: Alert) -> String {
        var s = "\(a.labels["alertname"] ?? "?") \(a.status.rawValue) at \(Timestamps.format(a.status == .resolved ? a.endsAt ?? a.startsAt : a.startsAt))"
        s += " labels " + a.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        s += " annotations " + a.annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: " ")
        return s
    }

    static func time(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        return b.withUnsafeBufferPointer { Timestamps.rfc3339($0, 0..<$0.count)?.nanos }
    }
}
