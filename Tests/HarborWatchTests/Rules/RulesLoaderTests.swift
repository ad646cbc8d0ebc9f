import Foundation
import Testing
@testable import HarborWatch

@Suite struct RulesLoaderTests {
    func problems(_ yaml: String) -> [String] {
        do {
            _ = try RulesLoader.load(text: yaml, path: "r.yaml")
            return []
        } catch {
            return error.items.map(\.description)
        }
    }

    @Test func shippedRulesLoadAndTheBuiltInCopyIsTheSame() throws {
        let path = packageRoot + "/rules/default.yaml"
        let r = try RulesLoader.load(path: path)
        #expect(r.rules.map(\.name) == ["replication_job_failed", "registry_server_errors", "push_failure_ratio"])
        #expect(r.detectors.maxLagSecs == 120)
        #expect(r.detectorAlerts["push_unauthorized"]?.severity == "critical")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == DefaultRules.yaml, "run scripts/embed_default_rules.py")
        for f in RulesFiles.expand([packageRoot + "/rules"]) {
            for o in RuleTestRunner.run(try RulesLoader.load(path: f)) { #expect(o.passed, "\(f):\(o.line) \(o.name): \(o.problems)") }
        }
    }

    @Test func unknownKeysWithSuggestionsAndLocations() {
        let p = problems("""
            detectors:
              replication_lag:
                max_lag: 60
            rules:
              - name: r1
                kind: threshhold
            recievers: []
            """)
        #expect(p == [
            "r.yaml:3:5: error: unknown key 'max_lag' in detectors.replication_lag; did you mean 'max_lag_secs'?",
            "r.yaml:6:11: error: unknown rule kind 'threshhold'; did you mean 'threshold'?",
            "r.yaml:7:1: error: unknown key 'recievers' in the rules file; did you mean 'receivers'?",
        ])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let p = problems("""
            rules:
              - name: r1
                kind: threshold
                window_secs: -5
                match: {status: {regex: "(unclosed"}, colour: red}
              - name: r2
                kind: ratio
                ratio: 3
                for_secs: 10
            receivers:
              - name: ops
                webhook: {url: "ftp://x", format: slak}
            route:
              receiver: opz
            """)
        #expect(p.count == 9, "\(p)")
        #expect(p.contains("r.yaml:2:5: error: a threshold rule needs 'threshold'"))
        #expect(p.contains("r.yaml:4:18: error: window_secs must be at least 0.001, not -5"))
        #expect(p.contains("r.yaml:5:29: error: match.status.regex: missing closing parenthesis at offset 9 of '(unclosed'"))
        #expect(p.contains { $0.hasPrefix("r.yaml:5:43: error: unknown event field 'colour'") })
        #expect(p.contains("r.yaml:8:12: error: ratio is a fraction between 0 and 1"))
        #expect(p.contains { $0.hasPrefix("r.yaml:9:5: error: 'for_secs' does not apply to a ratio rule") })
        #expect(p.contains("r.yaml:12:20: error: url must start with http:// or https://"))
        #expect(p.contains { $0.hasPrefix("r.yaml:12:39: error: unknown format 'slak'") && $0.hasSuffix("did you mean 'slack'?") })
        #expect(p.contains("r.yaml:14:13: error: route names receiver 'opz', which is not defined; did you mean 'ops'?"))
    }

    @Test func yamlSyntaxErrorsAreLocated() {
        let p = problems("rules:\n  - name: x\n   kind: [\n")
        #expect(p.count == 1)
        #expect(p.first?.hasPrefix("r.yaml:3:") == true)
    }

    @Test func badTemplateIsRefused() {
        let p = problems("""
            detectors:
              tag_without_data:
                annotations:
                  summary: "{{#labels}} never closed"
            """)
        #expect(p.count == 1)
        #expect(p.first?.hasPrefix("r.yaml:4:16: error: template annotations.summary") == true)
    }

    @Test func aFullFile() throws {
        let r = try RulesLoader.load(text: """
            inputs:
              sites:
                - {name: hub-1, role: primary, paths: [/var/log/harbor], syslog_zone: Asia/Shanghai}
                - {name: hub-2, paths: [/mnt/dc2], clock_offset_secs: 1.5, nginx_log_format: "log_format x '$remote_addr $status';"}
            detectors:
              tag_without_data: {enabled: false}
            rules:
              - name: quiet_hub2
                kind: absence
                match: {site: hub-2, user_agent: harbor-registry-client, method: PUT}
                for_secs: 600
            receivers:
              - name: am
                webhook: {url: "http://127.0.0.1:9093/api/v2/alerts", format: alertmanager, headers: {X-Team: registry}, hmac_secret_env: HW_HMAC}
            route:
              receiver: am
              group_by: [alertname, site]
              routes:
                - match: {severity: critical}
                  receiver: am
                  continue: true
            inhibit_rules:
              - source_match: {alertname: quiet_hub2}
                target_match: {alertname: secondary_missing_artifact}
                equal: [site]
            outbox: {dir: /var/lib/harborwatch}
            """, path: "full.yaml")
        #expect(r.sites.count == 2)
        #expect(r.sites[1].clockOffsetSecs == 1.5)
        #expect(!r.detectors.enabled.contains("tag_without_data"))
        #expect(r.rules.first?.kind == .absence)
        #expect(r.receivers.first?.format == "alertmanager")
        #expect(r.route?.routes.first?.continue == true)
        #expect(r.inhibitRules.first?.equal == ["site"])
        #expect(r.outbox?.dir == "/var/lib/harborwatch")
        let setup = AnalyzeSetup(rules: r, specs: [], options: AnalyzeOptions(), maxLagSecs: nil)
        #expect(setup.specs == [InputSpec(path: "/var/log/harbor", site: "hub-1"), InputSpec(path: "/mnt/dc2", site: "hub-2")])
        #expect(setup.options.primary == "hub-1")
        #expect(setup.options.siteParse["hub-2"]?.nginxFormats.first?.name == "x")
        #expect(setup.options.siteParse["hub-1"]?.syslogZone == .named("Asia/Shanghai"))
    }
}
