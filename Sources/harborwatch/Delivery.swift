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
        let queue = try OutboxQueue(rules: rules, state: state)
        for n in notifications { try queue.add(n) }
        try queue.finish(timeout: timeout)
    }
}

/// The outbox of a run, filled as the notifications come: `analyze --state` hands each one on
/// while it reads (rendered into its request and written to disk), rather than holding every
/// notification with its alerts and findings until the end (over 10 M lines that held 100 MiB).
final class OutboxQueue {
    let dir: String
    let outbox: Outbox
    let deliverer: Deliverer
    /// Notifications handed in, and those new to the outbox.
    private(set) var count = 0, added = 0

    init(rules: RulesFile, state: String?) throws {
        dir = Delivery.outboxDir(rules, state: state)
        outbox = try Outbox(dir: dir)
        deliverer = Deliverer(outbox: outbox, receivers: rules.receivers, maxAgeSecs: rules.outbox?.maxAgeSecs ?? 86_400)
    }

    /// Writes `n` to the outbox unless it is there or was settled already.
    func add(_ n: AlertNotification) throws {
        count += 1
        guard outbox.pending[n.idempotencyKey] == nil && !outbox.settled.contains(n.idempotencyKey) else { return }
        try deliverer.enqueue(n)
        added += 1
    }

    /// Delivers for `timeout` seconds and says what is left.
    func finish(timeout: Double) throws {
        try deliverer.drain(seconds: timeout)
        for l in deliverer.log { StandardError.write("harborwatch: \(l)\n") }
        let pending = outbox.pending.count
        var summary = "harborwatch: \(count) notification(s), \(added) new; \(pending) pending in \(dir)"
        if pending > 0 { summary += " (sent on the next run or by watch)" }
        if outbox.deadLettered > 0 { summary += "; \(outbox.deadLettered) dead-lettered to \(outbox.deadLetterPath)" }
        if outbox.tornRecords > 0 { summary += "; \(outbox.tornRecords) torn outbox records skipped" }
        StandardError.write(summary + "\n")
    }
}
