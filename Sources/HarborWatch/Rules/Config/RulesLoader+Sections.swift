import Yams

extension RulesLoader {
    static let ruleKeys = [
        "name", "kind", "match", "total", "then", "missing", "join_on", "group_by", "window_secs", "threshold", "ratio",
        "min_count", "for_secs", "severity", "labels", "annotations",
    ]

    static func userRule(_ node: Node, _ r: YAMLReader) -> UserRule? {
        let pairs = r.mapping(node, "a rule", allowed: ruleKeys, required: ["name", "kind"])
        guard let kindNode = pairs.first(where: { $0.key == "kind" })?.value, let kindText = r.string(kindNode, "kind") else { return nil }
        guard let kind = UserRule.Kind(rawValue: kindText) else {
            var msg = "unknown rule kind '\(kindText)'; use threshold, ratio, absence or sequence"
            if let s = suggestion(for: kindText, in: UserRule.Kind.allCases.map(\.rawValue)) { msg = "unknown rule kind '\(kindText)'; did you mean '\(s)'?" }
            r.error(kindNode, msg)
            return nil
        }
        var rule = UserRule(name: "", kind: kind)
        let allowedByKind: [UserRule.Kind: Set<String>] = [
            .threshold: ["window_secs", "threshold", "group_by"],
            .ratio: ["window_secs", "ratio", "min_count", "total", "group_by"],
            .absence: ["for_secs", "group_by"],
            .sequence: ["then", "missing", "join_on", "window_secs"],
        ]
        let generic: Set<String> = ["name", "kind", "match", "severity", "labels", "annotations"]
        for (k, kn, v) in pairs {
            if !generic.contains(k) && !(allowedByKind[kind]!.contains(k)) {
                r.error(kn, "'\(k)' does not apply to a \(kind.rawValue) rule (it takes: \(allowedByKind[kind]!.sorted().joined(separator: ", ")))")
                continue
            }
            switch k {
            case "name": rule.name = r.string(v, "name") ?? ""
            case "match": rule.match = matcher(v, r, "match")
            case "total": rule.total = matcher(v, r, "total")
            case "then": rule.then = matcher(v, r, "then")
            case "missing": rule.missing = r.bool(v, "missing") ?? false
            case "join_on": rule.joinOn = fields(v, r, "join_on")
            case "group_by":
                rule.groupBy = fields(v, r, "group_by")
                rule.groupByNames = r.strings(v, "group_by")
            case "window_secs": rule.windowSecs = r.number(v, "window_secs", min: 0.001) ?? rule.windowSecs
            case "threshold": rule.threshold = r.number(v, "threshold", min: 1) ?? rule.threshold
            case "ratio":
                rule.threshold = r.number(v, "ratio", min: 0) ?? rule.threshold
                if rule.threshold > 1 { r.error(v, "ratio is a fraction between 0 and 1") }
            case "min_count": rule.minCount = r.int(v, "min_count", min: 1) ?? rule.minCount
            case "for_secs": rule.forSecs = r.number(v, "for_secs", min: 1) ?? rule.forSecs
            case "severity": rule.alert.severity = severity(v, r)
            case "labels": rule.alert.labels = r.stringMap(v, "labels")
            case "annotations": rule.alert.annotations = annotations(v, r)
            default: break
            }
        }
        if rule.name.isEmpty { return nil }
        if !rule.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
            r.error(node, "rule name '\(rule.name)' may hold letters, digits, '_' and '-' only")
        }
        if kind == .threshold, !pairs.contains(where: { $0.key == "threshold" }) { r.error(node, "a threshold rule needs 'threshold'") }
        if kind == .ratio, !pairs.contains(where: { $0.key == "ratio" }) { r.error(node, "a ratio rule needs 'ratio'") }
        if kind == .sequence, !pairs.contains(where: { $0.key == "then" }) { r.error(node, "a sequence rule needs 'then'") }
        return rule
    }

    static func fields(_ v: Node, _ r: YAMLReader, _ what: String) -> [EventField] {
        var out: [EventField] = []
        let nodes: [Node] = { if case .sequence(let s) = v { return Array(s) } else { return [v] } }()
        for n in nodes {
            guard let name = r.string(n, what) else { continue }
            if let f = EventField(name) { out.append(f) } else { r.error(n, unknownField(name)) }
        }
        return out
    }

    static func unknownField(_ name: String) -> String {
        var msg = "unknown event field '\(name)'"
        if let s = suggestion(for: name, in: EventField.names) { msg += "; did you mean '\(s)'?" } else { msg += " (fields: \(EventField.names.joined(separator: ", ")), or fields.NAME)" }
        return msg
    }

    static let conditionKeys = ["regex", "iregex", "min", "max", "not", "exists", "in"]

    static func matcher(_ node: Node, _ r: YAMLReader, _ what: String) -> EventMatcher {
        var conds: [(EventField, EventMatcher.Condition)] = []
        for (k, kn, v) in r.mapping(node, what) {
            guard let f = EventField(k) else {
                r.error(kn, unknownField(k))
                continue
            }
            if let c = condition(v, r, "\(what).\(k)") { conds.append((f, c)) }
        }
        return EventMatcher(conds)
    }

    static func condition(_ v: Node, _ r: YAMLReader, _ what: String) -> EventMatcher.Condition? {
        switch v {
        case .scalar(let s): return .equals(s.string)
        case .sequence: return .oneOf(Set(r.strings(v, what)))
        case .mapping:
            var lo: Double?, hi: Double?
            var result: EventMatcher.Condition?
            let pairs = r.mapping(v, what, allowed: conditionKeys)
            for (k, _, x) in pairs {
                switch k {
                case "regex", "iregex":
                    guard let p = r.string(x, "\(what).\(k)") else { continue }
                    do { result = .regex(try PCRE2Regex(p, caseInsensitive: k == "iregex")) } catch {
                        r.error(x, "\(what).\(k): \(error.message) at offset \(error.offset) of '\(p)'")
                    }
                case "min": lo = r.number(x, "\(what).min")
                case "max": hi = r.number(x, "\(what).max")
                case "not": if let inner = condition(x, r, "\(what).not") { result = .not(inner) }
                case "exists": result = .exists(r.bool(x, "\(what).exists") ?? true)
                case "in": result = .oneOf(Set(r.strings(x, "\(what).in")))
                default: break
                }
            }
            if lo != nil || hi != nil { return .range(min: lo, max: hi) }
            if result == nil && pairs.isEmpty { r.error(v, "\(what) needs one of: \(conditionKeys.joined(separator: ", "))") }
            return result
        case .alias:
            r.error(v, "\(what): aliases are not supported here")
            return nil
        }
    }

    // MARK: receivers, routes, inhibition

    static let receiverKeys = ["name", "webhook"]
    static let webhookKeys = ["url", "format", "headers", "secret_env", "hmac_secret_env", "template", "timeout_secs", "tls_verify", "max_alerts"]
    static let formats = ["generic", "alertmanager", "slack", "dingtalk", "feishu", "wecom", "template"]

    static func receiver(_ node: Node, _ r: YAMLReader) -> ReceiverSpec? {
        var spec = ReceiverSpec(name: "")
        for (k, _, v) in r.mapping(node, "a receiver", allowed: receiverKeys, required: ["name", "webhook"]) {
            if k == "name" { spec.name = r.string(v, "name") ?? "" }
            if k == "webhook" {
                for (wk, _, wv) in r.mapping(v, "webhook", allowed: webhookKeys, required: ["url"]) {
                    switch wk {
                    case "url":
                        spec.url = r.string(wv, "url") ?? ""
                        if !(spec.url.hasPrefix("http://") || spec.url.hasPrefix("https://")) { r.error(wv, "url must start with http:// or https://") }
                    case "format":
                        spec.format = r.string(wv, "format") ?? "generic"
                        if !formats.contains(spec.format) {
                            var msg = "unknown format '\(spec.format)'; use one of: \(formats.joined(separator: ", "))"
                            if let s = suggestion(for: spec.format, in: formats) { msg += "; did you mean '\(s)'?" }
                            r.error(wv, msg)
                        }
                    case "headers": spec.headers = r.stringMap(wv, "headers")
                    case "secret_env": spec.secretEnv = r.string(wv, "secret_env")
                    case "hmac_secret_env": spec.hmacSecretEnv = r.string(wv, "hmac_secret_env")
                    case "template": spec.template = r.string(wv, "template")
                    case "timeout_secs": spec.timeoutSecs = r.number(wv, "timeout_secs", min: 0.1) ?? spec.timeoutSecs
                    case "tls_verify":
                        spec.tlsVerify = r.bool(wv, "tls_verify") ?? true
                        if !spec.tlsVerify { r.error(wv, "tls_verify: false is not supported: install the receiver's CA certificate in the system trust store instead") }
                    case "max_alerts": spec.maxAlerts = r.int(wv, "max_alerts", min: 0) ?? 0
                    default: break
                    }
                }
                if spec.format == "template", spec.template == nil { r.error(v, "a template webhook needs 'template'") }
            }
        }
        return spec.name.isEmpty ? nil : spec
    }

    static let routeKeys = ["receiver", "match", "match_regex", "group_by", "group_wait_secs", "group_interval_secs", "repeat_interval_secs", "continue", "routes"]

    static func route(_ node: Node, _ r: YAMLReader, _ what: String) -> RouteSpec {
        var spec = RouteSpec()
        for (k, _, v) in r.mapping(node, what, allowed: routeKeys) {
            switch k {
            case "receiver":
                spec.receiver = r.string(v, "receiver")
                spec.receiverAt = (v.mark?.line ?? 1, v.mark?.column ?? 1)
            case "match": spec.match = r.stringMap(v, "match")
            case "match_regex":
                for (lk, _, lv) in r.mapping(v, "match_regex") {
                    guard let p = r.string(lv, "match_regex.\(lk)") else { continue }
                    do { spec.matchRegex[lk] = try PCRE2Regex("^(?:" + p + ")$") } catch { r.error(lv, "match_regex.\(lk): \(error.message)") }
                }
            case "group_by": spec.groupBy = r.strings(v, "group_by")
            case "group_wait_secs": spec.groupWaitSecs = r.number(v, k, min: 0) ?? spec.groupWaitSecs
            case "group_interval_secs": spec.groupIntervalSecs = r.number(v, k, min: 1) ?? spec.groupIntervalSecs
            case "repeat_interval_secs": spec.repeatIntervalSecs = r.number(v, k, min: 1) ?? spec.repeatIntervalSecs
            case "continue": spec.continue = r.bool(v, "continue") ?? false
            case "routes": spec.routes = r.sequence(v, "routes").map { route($0, r, "a child route") }
            default: break
            }
        }
        return spec
    }

    static func inhibit(_ node: Node, _ r: YAMLReader) -> InhibitRule {
        var rule = InhibitRule()
        for (k, _, v) in r.mapping(node, "an inhibit rule", allowed: ["source_match", "target_match", "equal"], required: ["source_match", "target_match"]) {
            if k == "source_match" { rule.sourceMatch = r.stringMap(v, k) }
            if k == "target_match" { rule.targetMatch = r.stringMap(v, k) }
            if k == "equal" { rule.equal = r.strings(v, k) }
        }
        return rule
    }

    // MARK: tests

    static func test(_ node: Node, _ r: YAMLReader) -> RuleTest? {
        var t = RuleTest(name: "", line: node.mark?.line ?? 1)
        for (k, _, v) in r.mapping(node, "a test", allowed: ["name", "input", "expect", "year", "syslog_tz"], required: ["name", "input", "expect"]) {
            switch k {
            case "name": t.name = r.string(v, "name") ?? ""
            case "year": t.year = r.int(v, "year", min: 1970)
            case "syslog_tz": t.syslogZone = r.string(v, "syslog_tz")
            case "input":
                for i in r.sequence(v, "input") {
                    var input = RuleTest.Input(site: "", component: "", lines: [], line: i.mark?.line ?? 1)
                    for (ik, _, iv) in r.mapping(i, "an input", allowed: ["site", "component", "lines"], required: ["site", "lines"]) {
                        if ik == "site" { input.site = r.string(iv, "site") ?? "" }
                        if ik == "component" {
                            input.component = r.string(iv, "component") ?? ""
                            if Component(rawValue: input.component) == nil { r.error(iv, "unknown component '\(input.component)'") }
                        }
                        if ik == "lines" {
                            if case .scalar(let s) = iv {
                                input.lines = s.string.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
                            } else {
                                input.lines = r.strings(iv, "lines")
                            }
                        }
                    }
                    t.inputs.append(input)
                }
            case "expect":
                for x in r.sequence(v, "expect") {
                    var e = RuleTest.Expected(alertname: "", line: x.mark?.line ?? 1)
                    for (ek, _, ev) in r.mapping(x, "an expected alert", allowed: ["alertname", "status", "labels", "annotations", "at"], required: ["alertname"]) {
                        switch ek {
                        case "alertname": e.alertname = r.string(ev, "alertname") ?? ""
                        case "status":
                            e.status = r.string(ev, "status")
                            if let s = e.status, s != "firing" && s != "resolved" { r.error(ev, "status must be firing or resolved") }
                        case "labels": e.labels = r.stringMap(ev, "labels")
                        case "annotations": e.annotations = r.stringMap(ev, "annotations")
                        case "at": e.at = r.string(ev, "at")
                        default: break
                        }
                    }
                    t.expected.append(e)
                }
            default: break
            }
        }
        return t.name.isEmpty ? nil : t
    }
}
