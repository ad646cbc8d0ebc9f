import Foundation
import HarborWatch

/// Sends notifications through the durable outbox (or prints them with --dry-run).
enum Delivery {
    /// The outbox directory: the rules file's `outbox.dir`, else `DIR/outbox` of --state, else the user's state directory.
    static func outboxDir(_ rules: RulesFile, state: String?) -> String {
        if let d = rules.outbox?.dir { return d }
        if let state { return state + "/outbox" }
        let base = ProcessInfo.processInfo.environment["XDG_STATE_HOME"] ?? (NSHomeDirectory() + "/.local/state")
        return base + "/harborwatch/outbox"
    }

    static func send(_ notifications: [AlertNotification], rules: RulesFile, dryRun: Bool, timeout: Double, state: String?) throws {
        if dryRun {
            let dir = NSTemporaryDirectory() + "/harborwatch-dry-run-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let d = Deliverer(outbox: try Outbox(dir: dir), receivers: rules.receivers)
            for n in notifications { try d.enqueue(n) }
            OutputBuffer(fd: 1).write(Array(("\n--- dry run: \(notifications.count) notification(s), nothing sent ---\n" + d.dryRun()).utf8))
            return
        }
        let dir = outboxDir(rules, state: state)
        let outbox = try Outbox(dir: dir)
        let d = Deliverer(outbox: outbox, receivers: rules.receivers, maxAgeSecs: rules.outbox?.maxAgeSecs ?? 86_400)
        var added = 0
        for n in notifications where outbox.pending[n.idempotencyKey] == nil && !outbox.settled.contains(n.idempotencyKey) {
            try d.enqueue(n)
            added += 1
        }
        try d.drain(seconds: timeout)
        for l in d.log { StandardError.write("harborwatch: \(l)\n") }
        let pending = outbox.pending.count
        var summary = "harborwatch: \(notifications.count) notification(s), \(added) new; \(pending) pending in \(dir)"
        if pending > 0 { summary += " (sent on the next run or by watch)" }
        if outbox.deadLettered > 0 { summary += "; \(outbox.deadLettered) dead-lettered to \(outbox.deadLetterPath)" }
        if outbox.tornRecords > 0 { summary += "; \(outbox.tornRecords) torn outbox records skipped" }
        StandardError.write(summary + "\n")
    }
}
