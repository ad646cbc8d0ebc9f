import Foundation
import Mustache
import Yams

/// Loads a rules file, refusing unknown keys and collecting every problem with its location.
public enum RulesLoader {
    static let topKeys = ["inputs", "detectors", "rules", "receivers", "route", "inhibit_rules", "outbox", "tests"]

    /// Reads `path`; throws `Diagnostics` (every problem, each `file:line:column: error: …`).
    public static func load(path: String) throws(Diagnostics) -> RulesFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostics(items: [Diagnostic(file: path, line: 1, column: 1, message: "cannot read the file")])
        }
        return try load(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Reads rules from `text` (named `path` in diagnostics).
    public static func load(text: String, path: String) throws(Diagnostics) -> RulesFile {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw Diagnostics(items: [yamlDiagnostic(e, path)])
        } catch {
            throw Diagnostics(items: [Diagnostic(file: path, line: 1, column: 1, message: "\(error)")])
        }
        var file = RulesFile(path: path)
        guard let root = node else { return file }
        let r = YAMLReader(file: path)
        for (key, _, value) in r.mapping(root, "the rules file", allowed: topKeys) {
            switch key {
            case "inputs": file.sites = inputs(value, r)
            case "detectors": detectors(value, r, &file)
            case "rules": file.rules = r.sequence(value, "rules").compactMap { userRule($0, r) }
            case "receivers": file.receivers = r.sequence(value, "receivers").compactMap { receiver($0, r) }
            case "route": file.route = route(value, r, "route")
            case "inhibit_rules": file.inhibitRules = r.sequence(value, "inhibit_rules").map { inhibit($0, r) }
            case "outbox": file.outbox = outbox(value, r)
            case "tests": file.tests = r.sequence(value, "tests").compactMap { test($0, r) }
            default: break
            }
        }
        crossCheck(&file, root, r)
        if !r.diagnostics.isEmpty {
            throw Diagnostics(items: r.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return file
    }

    static func yamlDiagnostic(_ e: YamlError, _ path: String) -> Diagnostic {
        switch e {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _), .composer(let ctx, let problem, let mark, _):
            let msg = "YAML: " + problem + (ctx.map { " " + $0.text } ?? "")
            return Diagnostic(file: path, line: mark.line, column: mark.column, message: msg)
        default:
            return Diagnostic(file: path, line: 1, column: 1, message: "YAML: \(e)")
        }
    }

    // MARK: inputs

    static let siteKeys = ["name", "role", "paths", "input_format", "nginx_log_format", "clock_offset_secs", "syslog_zone"]

    static func inputs(_ node: Node, _ r: YAMLReader) -> [SiteInput] {
        var sites: [SiteInput] = []
        for (key, _, value) in r.mapping(node, "inputs", allowed: ["sites"]) where key == "sites" {
            for s in r.sequence(value, "inputs.sites") {
                var site = SiteInput(name: "")
                for (k, kn, v) in r.mapping(s, "a site", allowed: siteKeys, required: ["name"]) {
                    switch k {
                    case "name": site.name = r.string(v, "name") ?? ""
                    case "role":
                        site.role = r.string(v, "role") ?? "secondary"
                        if site.role != "primary" && site.role != "secondary" { r.error(v, "role must be primary or secondary, not '\(site.role)'") }
                    case "paths": site.paths = r.strings(v, "paths")
                    case "input_format":
                        site.inputFormat = r.string(v, "input_format") ?? "auto"
                        if InputFormat(rawValue: site.inputFormat) == nil {
                            r.error(v, "unknown input_format '\(site.inputFormat)'; use one of: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                    case "nginx_log_format":
                        site.nginxLogFormat = r.string(v, "nginx_log_format")
                        if let f = site.nginxLogFormat {
                            do { _ = try NginxLogFormat.parse(directive: f) } catch { r.error(v, "nginx_log_format: \(error.message)") }
                        }
                    case "clock_offset_secs": site.clockOffsetSecs = r.number(v, "clock_offset_secs") ?? 0
                    case "syslog_zone":
                        site.syslogZone = r.string(v, "syslog_zone")
                        if let z = site.syslogZone, SyslogZone(z) == nil { r.error(v, "syslog_zone '\(z)' is not a zone (UTC, +08:00 or an IANA name)") }
                    default: _ = kn
                    }
                }
                sites.append(site)
            }
        }
        if sites.filter({ $0.role == "primary" }).count > 1 { r.error(node, "inputs: only one site can be primary") }
        return sites
    }

    // MARK: detectors

    static let detectorKeys: [String: [String]] = [
        "push_unauthorized": ["retry_grace_secs", "token_lifetime_secs"],
        "secondary_missing_artifact": [],
        "replication_lag": ["max_lag_secs"],
        "replication_duplicate": ["window_secs", "burst_gap_secs"],
        "tag_without_data": ["window_secs"],
    ]
    static let commonDetectorKeys = ["enabled", "severity", "labels", "annotations", "evidence_limit"]

    static func detectors(_ node: Node, _ r: YAMLReader, _ file: inout RulesFile) {
        for (name, _, value) in r.mapping(node, "detectors", allowed: DetectorSettings.allIds + ["retention_secs"]) {
            if name == "retention_secs" {
                file.detectors.retentionSecs = r.number(value, "retention_secs", min: 60) ?? file.detectors.retentionSecs
                continue
            }
            var t = AlertTemplate()
            for (k, _, v) in r.mapping(value, "detectors.\(name)", allowed: commonDetectorKeys + detectorKeys[name]!) {
                switch k {
                case "enabled": if r.bool(v, "enabled") == false { file.detectors.enabled.remove(name) }
                case "severity": t.severity = severity(v, r)
                case "labels": t.labels = r.stringMap(v, "labels")
                case "annotations": t.annotations = annotations(v, r)
                case "evidence_limit": file.detectors.evidenceLimit = r.int(v, "evidence_limit", min: 1) ?? file.detectors.evidenceLimit
                case "retry_grace_secs": file.detectors.retryGraceSecs = r.number(v, k, min: 0) ?? file.detectors.retryGraceSecs
                case "token_lifetime_secs": file.detectors.tokenLifetimeSecs = r.number(v, k, min: 1) ?? file.detectors.tokenLifetimeSecs
                case "max_lag_secs": file.detectors.maxLagSecs = r.number(v, k, min: 1) ?? file.detectors.maxLagSecs
                case "burst_gap_secs": file.detectors.burstGapSecs = r.number(v, k, min: 0) ?? file.detectors.burstGapSecs
                case "window_secs":
                    let w = r.number(v, k, min: 1)
                    if name == "replication_duplicate" { file.detectors.duplicateWindowSecs = w ?? file.detectors.duplicateWindowSecs }
                    if name == "tag_without_data" { file.detectors.tagWindowSecs = w ?? file.detectors.tagWindowSecs }
                default: break
                }
            }
            file.detectorAlerts[name] = t
        }
    }

    static func severity(_ v: Node, _ r: YAMLReader) -> String? {
        guard let s = r.string(v, "severity") else { return nil }
        guard ["critical", "warning", "info"].contains(s) else {
            r.error(v, "severity must be critical, warning or info, not '\(s)'")
            return nil
        }
        return s
    }

    /// Annotation templates, each checked by compiling it.
    static func annotations(_ v: Node, _ r: YAMLReader) -> [String: String] {
        var out: [String: String] = [:]
        for (k, _, t) in r.mapping(v, "annotations") {
            guard let text = r.string(t, "annotations.\(k)") else { continue }
            do {
                _ = try MustacheTemplate(string: text)
                out[k] = text
            } catch let e as MustacheTemplate.ParserError {
                var d = Diagnostic(file: r.file, line: t.mark?.line ?? 1, column: t.mark?.column ?? 1, message: "template annotations.\(k): \(e.error)")
                if e.context.lineNumber > 1 { d.line += e.context.lineNumber - 1 }
                r.error(t, d.message + " (template line \(e.context.lineNumber), column \(e.context.columnNumber))")
            } catch {
                r.error(t, "template annotations.\(k): \(error)")
            }
        }
        return out
    }

    static func outbox(_ node: Node, _ r: YAMLReader) -> OutboxSpec? {
        var spec = OutboxSpec(dir: "")
        for (k, _, v) in r.mapping(node, "outbox", allowed: ["dir", "max_age_secs"], required: ["dir"]) {
            if k == "dir" { spec.dir = r.string(v, "outbox.dir") ?? "" }
            if k == "max_age_secs" { spec.maxAgeSecs = r.number(v, "outbox.max_age_secs", min: 60) ?? spec.maxAgeSecs }
        }
        return spec.dir.isEmpty ? nil : spec
    }

    /// Checks that cross references hold: routes name receivers that exist, names are unique.
    static func crossCheck(_ file: inout RulesFile, _ root: Node, _ r: YAMLReader) {
        let names = file.receivers.map(\.name)
        func check(_ route: RouteSpec?) {
            guard let route else { return }
            if let rec = route.receiver, !names.contains(rec) {
                var msg = "route names receiver '\(rec)', which is not defined"
                if let s = suggestion(for: rec, in: names) { msg += "; did you mean '\(s)'?" }
                r.errorAt(route.receiverAt.line, route.receiverAt.column, msg)
            }
            for child in route.routes { check(child) }
        }
        check(file.route)
        var seen = Set<String>()
        for rule in file.rules where !seen.insert(rule.name).inserted {
            r.error(root, "two rules are named '\(rule.name)'")
        }
    }
}
